import { createHash, type Hash } from "node:crypto";

/**
 * The MD5 of a whole object whose parts arrive out of order. A part's bytes wait here until every
 * earlier part has been hashed; `submit` resolves only then, so a caller that holds its concurrency
 * slot until it resolves bounds the waiting bytes by concurrency × part size.
 */
export class OrderedDigest {
  private readonly hash: Hash = createHash("md5");
  private next = 1;
  private readonly waiting = new Map<number, { chunks: Buffer[]; done: () => void }>();
  private abandoned = false;

  submit(partNumber: number, chunks: Buffer[]): Promise<void> {
    if (this.abandoned) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.set(partNumber, { chunks, done: resolve });
      this.drain();
    });
  }

  private drain(): void {
    for (let entry = this.waiting.get(this.next); entry; entry = this.waiting.get(this.next)) {
      for (const chunk of entry.chunks) this.hash.update(chunk);
      this.waiting.delete(this.next);
      this.next++;
      entry.done();
    }
  }

  /** Hashing never reached every part: a part failed and will never be submitted. */
  abandon(): void {
    this.abandoned = true;
    for (const entry of this.waiting.values()) entry.done();
    this.waiting.clear();
  }

  md5Hex(): string {
    return this.hash.digest("hex");
  }
}
