import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

/**
 * What the bytes of a read are summed up by: their MD5 (hex, what S3 ETags are made of), their
 * CRC32 (base64 of its four bytes, big-endian, as S3 gives ChecksumCRC32), or nothing. An MD5 costs
 * about 1.5 CPU-s per GB here, a CRC32 about a fifth of that.
 */
export type ReadDigest = "md5" | "crc32" | "none";

/** Passes bytes through unchanged while summing them up, counting them and, if asked, handing them on. */
export class DigestingStream extends Transform {
  private readonly hash?: Hash;
  private crc = 0;
  bytes = 0;

  constructor(
    private readonly onBytes?: (count: number) => void,
    /** Sees every chunk, in order, before it is passed on. */
    private readonly tap?: (chunk: Buffer) => void,
    private readonly kind: ReadDigest = "md5",
  ) {
    super();
    if (kind === "md5") this.hash = createHash("md5");
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hash) this.hash.update(chunk);
    else if (this.kind === "crc32") this.crc = crc32(chunk, this.crc);
    this.bytes += chunk.length;
    this.tap?.(chunk);
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  /** The digest of every byte passed, of the kind asked for ("" for none). */
  digest(): string {
    if (this.hash) return this.hash.digest("hex");
    if (this.kind !== "crc32") return "";
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.crc >>> 0);
    return bytes.toString("base64");
  }
}
