import { createHash, type Hash } from "node:crypto";
import { IntegrityError } from "./errors.js";

/** Where one read of one part sends its bytes. */
export interface PartSink {
  /** Bytes as they are read, in order. */
  write(chunk: Buffer): void;
  /**
   * The read delivered every byte of the part; `fingerprint` (their MD5 or CRC32) tells them apart.
   * The first complete read of a part is the one hashed; a later read of the same part (a retry)
   * must give the same fingerprint.
   */
  complete(fingerprint: string): void;
  /** The read failed before it completed: forget what it wrote. */
  discard(): void;
}

interface Entry {
  /** The read that currently feeds this part. */
  token: object;
  /** Bytes held until every earlier part has been hashed. */
  chunks: Buffer[];
  /** Set once a read delivered the whole part. */
  fingerprint?: string;
}

/**
 * The MD5 of a whole object whose parts are read in parallel. The lowest part not yet hashed (the
 * frontier) is hashed as its bytes arrive; a later part's bytes wait here until every earlier part
 * has been read in full. A caller that keeps its concurrency slot until `whenHashed` resolves
 * bounds the waiting bytes by (concurrency − 1) × part size, and a part's bytes are let go as soon
 * as the parts before it have been read, not when their uploads are answered.
 */
export class OrderedDigest {
  private hash: Hash = createHash("md5");
  /** The hash before any byte of the frontier part: a failed read of the frontier rolls back to it. */
  private checkpoint: Hash = this.hash.copy();
  private next = 1;
  private readonly entries = new Map<number, Entry>();
  /** Fingerprint of each part as hashed, for parts below the frontier. */
  private readonly hashed = new Map<number, string>();
  private readonly waiters = new Map<number, (() => void)[]>();
  private abandoned = false;

  /** Starts a read of `partNumber`. */
  open(partNumber: number): PartSink {
    const settled = this.hashed.get(partNumber) ?? this.entries.get(partNumber)?.fingerprint;
    if (settled !== undefined || this.abandoned) return this.verifyOnly(partNumber, settled);
    const token = {};
    this.discardRead(partNumber);
    this.entries.set(partNumber, { token, chunks: [] });
    const current = () => !this.abandoned && this.entries.get(partNumber)?.token === token;
    return {
      write: (chunk) => {
        if (!current()) return;
        if (partNumber === this.next) this.hash.update(chunk);
        else this.entries.get(partNumber)?.chunks.push(chunk);
      },
      complete: (fingerprint) => {
        const entry = this.entries.get(partNumber);
        if (!current() || !entry) return;
        entry.fingerprint = fingerprint;
        this.advance();
      },
      discard: () => {
        if (current() && this.entries.get(partNumber)?.fingerprint === undefined)
          this.discardRead(partNumber);
      },
    };
  }

  /** A read of a part whose bytes are settled already: it adds nothing and must match them. */
  private verifyOnly(partNumber: number, settled: string | undefined): PartSink {
    return {
      write: () => {},
      complete: (fingerprint) => {
        if (settled !== undefined && fingerprint !== settled) {
          throw new IntegrityError(`part ${partNumber}: a second read gave other bytes than the first`);
        }
      },
      discard: () => {},
    };
  }

  private discardRead(partNumber: number): void {
    if (!this.entries.delete(partNumber)) return;
    if (partNumber === this.next) this.hash = this.checkpoint.copy();
  }

  private advance(): void {
    for (let entry = this.entries.get(this.next); entry?.fingerprint !== undefined; ) {
      this.hashed.set(this.next, entry.fingerprint);
      this.entries.delete(this.next);
      for (const resolve of this.waiters.get(this.next) ?? []) resolve();
      this.waiters.delete(this.next);
      this.next++;
      this.checkpoint = this.hash.copy();
      entry = this.entries.get(this.next);
      if (entry) {
        for (const chunk of entry.chunks) this.hash.update(chunk);
        entry.chunks = [];
      }
    }
  }

  /** Resolves once every byte of `partNumber` has been hashed (or the digest was abandoned). */
  whenHashed(partNumber: number): Promise<void> {
    if (this.abandoned || partNumber < this.next) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(partNumber) ?? [];
      list.push(resolve);
      this.waiters.set(partNumber, list);
    });
  }

  /** The fingerprint of the bytes hashed for a part below the frontier. */
  partFingerprint(partNumber: number): string | undefined {
    return this.hashed.get(partNumber);
  }

  /** Hashes a part given whole: one read, written and completed at once. */
  submit(partNumber: number, chunks: Buffer[]): Promise<void> {
    const sink = this.open(partNumber);
    const md5 = createHash("md5");
    for (const chunk of chunks) {
      md5.update(chunk);
      sink.write(chunk);
    }
    sink.complete(md5.digest("hex"));
    return this.whenHashed(partNumber);
  }

  /** Hashing will never reach every part: a part failed. Lets every waiting part go. */
  abandon(): void {
    this.abandoned = true;
    this.entries.clear();
    for (const list of this.waiters.values()) for (const resolve of list) resolve();
    this.waiters.clear();
  }

  md5Hex(): string {
    return this.hash.digest("hex");
  }
}
