/**
 * The CRC32 of bytes read in parts, from each part's CRC32 and size (zlib's crc32_combine): a whole
 * object's checksum without reading its parts in order. CRC32s are base64 of their four bytes,
 * big-endian, as S3 gives ChecksumCRC32.
 */
export function combinedCrc32(parts: readonly { crc32: string; size: number }[]): string {
  // Parts share a size but the last: one operator per size, not per part (10,000 parts of 500 MiB
  // took 903 ms when each part built its own).
  const operators = new Map<number, Uint32Array>();
  let crc = 0;
  for (const part of parts) {
    let operator = operators.get(part.size);
    if (!operator) {
      operator = zeroBytesOperator(part.size);
      operators.set(part.size, operator);
    }
    crc = (times(operator, crc) ^ Buffer.from(part.crc32, "base64").readUInt32BE(0)) >>> 0;
  }
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc);
  return bytes.toString("base64");
}

/** The reflected CRC-32 polynomial (IEEE 802.3), the one S3's ChecksumCRC32 and zlib use. */
const POLYNOMIAL = 0xedb88320;

/** A 32 x 32 matrix over GF(2), one column per word, times a vector. */
function times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i] as number;
  return sum >>> 0;
}

/** The operator that applies `second` after `first`. */
function compose(second: Uint32Array, first: Uint32Array): Uint32Array {
  return first.map((column) => times(second, column));
}

/** What one zero byte does to a CRC32: the one-zero-bit operator squared three times. */
const ONE_ZERO_BYTE = (() => {
  let operator: Uint32Array = new Uint32Array(32);
  operator[0] = POLYNOMIAL;
  for (let n = 1; n < 32; n++) operator[n] = 2 ** (n - 1);
  for (let i = 0; i < 3; i++) operator = compose(operator, operator);
  return operator;
})();

/**
 * What `length` zero bytes do to a CRC32, by repeated squaring, log2(length) steps: CRC32(A then
 * B) is this applied to CRC32(A), xor CRC32(B). Sizes go past 2^32 (parts of 5 GiB), so the length
 * is halved by division, not by shifts.
 */
function zeroBytesOperator(length: number): Uint32Array {
  let result: Uint32Array = Uint32Array.from({ length: 32 }, (_, n) => 2 ** n);
  let power: Uint32Array = ONE_ZERO_BYTE;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) result = compose(power, result);
    power = compose(power, power);
  }
  return result;
}
