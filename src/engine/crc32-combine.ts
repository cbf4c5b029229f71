/**
 * The CRC32 of bytes read in parts, from each part's CRC32 and size (zlib's crc32_combine): a whole
 * object's checksum without reading its parts in order. CRC32s are base64 of their four bytes,
 * big-endian, as S3 gives ChecksumCRC32.
 */
export function combinedCrc32(parts: readonly { crc32: string; size: number }[]): string {
  let crc = 0;
  for (const part of parts) crc = combine(crc, Buffer.from(part.crc32, "base64").readUInt32BE(0), part.size);
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

function square(matrix: Uint32Array): Uint32Array {
  return matrix.map((column) => times(matrix, column));
}

/**
 * CRC32 of A followed by B, from CRC32(A), CRC32(B) and B's length: CRC32(A) is carried through
 * `length` zero bytes by repeated squaring of the one-zero-bit operator, log2(length) steps. Sizes
 * go past 2^32 (parts of 5 GiB), so the length is halved by division, not by shifts.
 */
function combine(crcA: number, crcB: number, length: number): number {
  if (length === 0) return crcA;
  let operator: Uint32Array = new Uint32Array(32);
  operator[0] = POLYNOMIAL;
  for (let n = 1; n < 32; n++) operator[n] = 2 ** (n - 1);
  // From one zero bit to one zero byte: three squarings.
  operator = square(square(square(operator)));
  let crc = crcA;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) crc = times(operator, crc);
    operator = square(operator);
  }
  return (crc ^ crcB) >>> 0;
}
