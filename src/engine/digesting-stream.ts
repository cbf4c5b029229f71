import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through unchanged while taking their MD5, counting them and, if asked, handing them on. */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash("md5");
  bytes = 0;

  constructor(
    private readonly onBytes?: (count: number) => void,
    /** Sees every chunk, in order, before it is passed on. */
    private readonly tap?: (chunk: Buffer) => void,
    private readonly hashing = true,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hashing) this.hash.update(chunk);
    this.bytes += chunk.length;
    this.tap?.(chunk);
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  md5Hex(): string {
    return this.hashing ? this.hash.digest("hex") : "";
  }
}
