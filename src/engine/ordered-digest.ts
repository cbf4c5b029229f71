import { createHash, type Hash } from "node:crypto";
import { IntegrityError } from "./errors.js";
import type { SpillFile, SpillFiles } from "./spill-files.js";

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
  bytes: number;
  /** Its bytes went to disk past the budget: read back from there when its turn comes. */
  file?: SpillFile;
  /** Its bytes were let go (no room on disk): the part is read again when its turn comes. */
  spilled: boolean;
  /** Set once a read delivered the whole part. */
  fingerprint?: string;
  /**
   * A read this one replaced (the part's first run, beside a hedge of it) delivered the whole part
   * first: its bytes were not kept, so should this read not deliver, the part is read again.
   */
  replacedDelivered?: string;
}

/**
 * The MD5 of a whole object whose parts are read in parallel. The lowest part not yet hashed (the
 * frontier) is hashed as its bytes arrive; a later part's bytes wait here until every earlier part
 * has been read in full, within `budgetBytes`. A part whose bytes would go past the budget writes
 * them to a file of `files`, read back when the frontier reaches it; with no room there it lets
 * them go (it spills) and `reread` reads it once more, in turn (the copy then checks, as for every
 * part, that the fingerprint hashed is the one of the read it sent). On a long link many parts
 * progress slowly side by side (40 at 2 MB/s fill 80 MB/s): holding all their bytes would take
 * hundreds of MiB of memory; reading them twice crosses the link twice when the source is across
 * it. A caller that starts no part past what `capacityBytes` holds, keeping each in its window
 * until `released`, never needs to read one again while the disk takes its files.
 */
export class OrderedDigest {
  private hash: Hash = createHash("md5");
  /** The hash before any byte of the frontier part: a failed read of the frontier rolls back to it. */
  private checkpoint: Hash = this.hash.copy();
  private next = 1;
  private buffered = 0;
  private readonly entries = new Map<number, Entry>();
  /** Fingerprint of each part as hashed, for parts below the frontier. */
  private readonly hashed = new Map<number, string>();
  /** Parts waiting to hold no bytes here (their slots), and callers waiting for a part's hash. */
  private readonly releaseWaiters = new Map<number, (() => void)[]>();
  private readonly hashWaiters = new Map<
    number,
    { resolve: () => void; reject: (error: unknown) => void }[]
  >();
  private abandoned = false;
  /** The frontier part's bytes are being read back from its file, or read again from the source. */
  private catchingUp = false;
  private failure: unknown;

  constructor(
    private readonly budgetBytes = Number.POSITIVE_INFINITY,
    /** Reads a spilled part again through open(); a rejection fails the digest. */
    private readonly reread: (partNumber: number) => Promise<void> = async () => {
      throw new Error("a part spilled from the digest, and it cannot read parts again");
    },
    /** Where bytes past the budget wait; without it they are let go at once. */
    private readonly files?: SpillFiles,
  ) {}

  /** Starts a read of `partNumber`. */
  open(partNumber: number): PartSink {
    const entry = this.entries.get(partNumber);
    // A spilled part is read afresh: its bytes were never hashed.
    const settled = this.hashed.get(partNumber) ?? (entry?.spilled ? undefined : entry?.fingerprint);
    if (settled !== undefined || this.abandoned) return this.verifyOnly(partNumber, settled);
    const token = {};
    const replacedDelivered = entry?.fingerprint === undefined ? entry?.replacedDelivered : undefined;
    this.discardRead(partNumber);
    this.entries.set(partNumber, { token, chunks: [], bytes: 0, spilled: false, replacedDelivered });
    const current = () => {
      const now = this.entries.get(partNumber);
      return !this.abandoned && now?.token === token ? now : undefined;
    };
    return {
      write: (chunk) => {
        const now = current();
        if (!now || now.spilled) return;
        if (now.file) {
          if (!now.file.write(chunk)) this.spill(partNumber, now);
        } else if (partNumber === this.next) this.hash.update(chunk);
        else if (this.buffered + chunk.length > this.budgetBytes) this.moveToDisk(partNumber, now, chunk);
        else {
          now.chunks.push(chunk);
          now.bytes += chunk.length;
          this.buffered += chunk.length;
        }
      },
      complete: (fingerprint) => {
        const now = current();
        if (now) {
          now.fingerprint = fingerprint;
          this.advance();
          return;
        }
        // Only a run beside a hedge completes after its read was replaced: a failed read is discarded.
        const replacing = this.abandoned ? undefined : this.entries.get(partNumber);
        if (replacing && replacing.fingerprint === undefined) replacing.replacedDelivered ??= fingerprint;
      },
      discard: () => {
        const now = current();
        if (!now || now.fingerprint !== undefined) return;
        if (now.replacedDelivered === undefined) this.discardRead(partNumber);
        else this.readLost(partNumber, now, now.replacedDelivered);
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

  /** Sends what the part holds and `chunk` to a file; spills it when there is no room there. */
  private moveToDisk(partNumber: number, entry: Entry, chunk: Buffer): void {
    const file = this.files?.create();
    if (!file || ![...entry.chunks, chunk].every((held) => file.write(held))) {
      file?.remove();
      this.spill(partNumber, entry);
      return;
    }
    this.dropHeld(entry);
    entry.file = file;
  }

  /**
   * The part was delivered by a read whose bytes were not kept, and the read that replaced it
   * stopped (the hedge lost): it is read again in its turn, and must give `fingerprint`'s bytes.
   */
  private readLost(partNumber: number, entry: Entry, fingerprint: string): void {
    if (partNumber === this.next) this.hash = this.checkpoint.copy();
    this.spill(partNumber, entry);
    entry.fingerprint = fingerprint;
    this.advance();
  }

  /** Lets go of the bytes the part holds in memory. */
  private dropHeld(entry: Entry): void {
    this.buffered -= entry.bytes;
    entry.chunks = [];
    entry.bytes = 0;
  }

  private spill(partNumber: number, entry: Entry): void {
    this.dropHeld(entry);
    entry.file?.remove();
    entry.file = undefined;
    entry.spilled = true;
    this.release(partNumber);
  }

  private discardRead(partNumber: number): void {
    const entry = this.entries.get(partNumber);
    if (!entry) return;
    this.buffered -= entry.bytes;
    entry.file?.remove();
    this.entries.delete(partNumber);
    if (partNumber === this.next) this.hash = this.checkpoint.copy();
  }

  private release(partNumber: number): void {
    for (const resolve of this.releaseWaiters.get(partNumber) ?? []) resolve();
    this.releaseWaiters.delete(partNumber);
  }

  private advance(): void {
    if (this.catchingUp) return;
    for (let entry = this.entries.get(this.next); entry?.fingerprint !== undefined; ) {
      if (entry.spilled) {
        this.readAgain(this.next);
        return;
      }
      if (entry.file) {
        this.readBack(entry, entry.file);
        return;
      }
      this.hashed.set(this.next, entry.fingerprint);
      this.entries.delete(this.next);
      this.release(this.next);
      for (const waiter of this.hashWaiters.get(this.next) ?? []) waiter.resolve();
      this.hashWaiters.delete(this.next);
      this.next++;
      this.checkpoint = this.hash.copy();
      entry = this.entries.get(this.next);
      if (entry) {
        for (const chunk of entry.chunks) this.hash.update(chunk);
        this.dropHeld(entry);
      }
    }
  }

  /** Hashes the frontier part from its file; a file that failed makes it read again from the source. */
  private readBack(entry: Entry, file: SpillFile): void {
    this.catchingUp = true;
    const settle = (readBack: boolean) => {
      if (this.abandoned) return;
      if (!readBack) {
        this.hash = this.checkpoint.copy();
        entry.spilled = true;
      }
      file.remove();
      entry.file = undefined;
      this.catchingUp = false;
      this.advance();
    };
    file
      .replay((chunk) => this.hash.update(chunk))
      .then(
        () => settle(true),
        () => settle(false),
      );
  }

  private readAgain(partNumber: number): void {
    this.catchingUp = true;
    this.reread(partNumber).then(
      () => {
        this.catchingUp = false;
        this.advance();
      },
      (error: unknown) => {
        this.failure = error;
        for (const list of this.hashWaiters.values()) for (const waiter of list) waiter.reject(error);
        this.hashWaiters.clear();
        this.abandon();
      },
    );
  }

  /** Resolves once `partNumber` holds no bytes here, in memory or on disk: hashed, spilled, or abandoned. */
  released(partNumber: number): Promise<void> {
    if (this.abandoned || partNumber < this.next || this.entries.get(partNumber)?.spilled) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.releaseWaiters.get(partNumber) ?? [];
      list.push(resolve);
      this.releaseWaiters.set(partNumber, list);
    });
  }

  /** Resolves once every part up to `lastPart` is hashed; rejects if reading a part again failed. */
  whenHashed(lastPart: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (lastPart < this.next) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const list = this.hashWaiters.get(lastPart) ?? [];
      list.push({ resolve, reject });
      this.hashWaiters.set(lastPart, list);
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
    return this.released(partNumber);
  }

  /** Hashing will never reach every part: a part failed. Lets every waiting part go. */
  abandon(): void {
    this.abandoned = true;
    for (const entry of this.entries.values()) entry.file?.remove();
    this.entries.clear();
    this.buffered = 0;
    for (const list of this.releaseWaiters.values()) for (const resolve of list) resolve();
    this.releaseWaiters.clear();
  }

  /** Bytes it can hold for parts ahead of the one being hashed, in memory and on disk. */
  capacityBytes(): number {
    return this.budgetBytes + (this.files?.capacityBytes() ?? 0);
  }

  /** Removes the files it wrote; resolves once they are gone. */
  async close(): Promise<void> {
    await this.files?.close();
  }

  md5Hex(): string {
    return this.hash.digest("hex");
  }
}
