import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One read of one part kept on local disk: written as it arrives, read back once in its turn. */
export interface SpillFile {
  /** False when the bytes do not fit the budget or the file failed: the caller keeps them no more. */
  write(chunk: Buffer): boolean;
  /** Every byte written, in order, once the file is whole; rejects if writing it failed. */
  replay(onChunk: (chunk: Buffer) => void): Promise<void>;
  /** Lets the file go; its bytes leave the budget. */
  remove(): void;
}

const PREFIX = "s3xsync-spill-";
const NAMED = /^s3xsync-spill-(\d+)-/;

/** This process's spill files not removed yet, by path: a sweep leaves them. */
const livePaths = new Set<string>();
/** Directories swept by this process, once each. */
const sweeps = new Map<string, Promise<void>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Another user's process: alive, only not ours to signal.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the spill files a process left when it was killed mid-copy (a Lambda function timed
 * out, a CLI run got SIGKILL): up to 256 MiB each, and Lambda's /tmp (512 MB) stays from one
 * invocation to the next. A file is named by its process's id: another process's while that one
 * lives, and this process's own only while it is open here (a process restarted in the same
 * Lambda environment may get the id of the one before).
 */
function sweepLeftFiles(directory: string): Promise<void> {
  let sweep = sweeps.get(directory);
  if (!sweep) {
    sweep = readdir(directory)
      .then(async (names) => {
        const left = names.filter((name) => {
          const pid = Number(NAMED.exec(name)?.[1] ?? Number.NaN);
          if (!Number.isSafeInteger(pid)) return false;
          return pid === process.pid ? !livePaths.has(join(directory, name)) : !isAlive(pid);
        });
        await Promise.all(left.map((name) => unlink(join(directory, name)).catch(() => {})));
      })
      .catch(() => {});
    sweeps.set(directory, sweep);
  }
  return sweep;
}

/**
 * Files in the temp directory (TMPDIR; /tmp in Lambda) for the parts an ordered digest cannot hold
 * in memory, within `budgetBytes` on disk. Where the source is across the link, the only other way
 * is reading those parts again over it: on the cross-border link at the source side a 1 GiB
 * single-part copy moved 10.8 MB/s that way (see OrderedDigest).
 */
export class SpillFiles {
  private used = 0;
  private readonly open = new Set<SpillFile>();
  private readonly removals: Promise<void>[] = [];
  /** A file failed to write (a full disk): no more are started. */
  private failed = false;
  private readonly swept: Promise<void>;

  constructor(
    private readonly budgetBytes: number,
    private readonly directory = tmpdir(),
  ) {
    this.swept = sweepLeftFiles(directory);
  }

  /** Bytes it may hold: none once a file failed. */
  capacityBytes(): number {
    return this.failed ? 0 : this.budgetBytes;
  }

  /** A new, empty file; undefined once writing one has failed. */
  create(): SpillFile | undefined {
    if (this.failed) return undefined;
    const path = join(this.directory, `${PREFIX}${process.pid}-${randomUUID()}`);
    livePaths.add(path);
    const stream = createWriteStream(path);
    let bytes = 0;
    let broken = false;
    let removed = false;
    const written = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", (error) => {
        broken = true;
        // A write still queued when remove() destroyed the stream fails (ERR_STREAM_DESTROYED),
        // and no fault of the disk: counted as one, it shrank every copy's window to what memory
        // holds, 2 parts, and a 1 GiB single-part copy from across the cross-border link took
        // 84-132 s instead of 33-35 (2 runs in 4).
        if (!removed) this.failed = true;
        reject(error);
      });
    });
    // The failure is read by replay(); a file removed before it is replayed is not waited for.
    written.catch(() => {});
    const file: SpillFile = {
      write: (chunk) => {
        if (broken || removed || this.used + chunk.length > this.budgetBytes) return false;
        this.used += chunk.length;
        bytes += chunk.length;
        stream.write(chunk);
        return true;
      },
      replay: async (onChunk) => {
        stream.end();
        await written;
        for await (const chunk of createReadStream(path)) onChunk(chunk as Buffer);
      },
      remove: () => {
        if (removed) return;
        removed = true;
        this.used -= bytes;
        this.open.delete(file);
        // Unlinked once closed: a stream destroyed before it opened would create the file after.
        const closed = stream.closed
          ? Promise.resolve()
          : new Promise<void>((resolve) => stream.once("close", () => resolve()));
        stream.destroy();
        this.removals.push(
          closed
            .then(() => unlink(path))
            .catch(() => {})
            .finally(() => livePaths.delete(path)),
        );
      },
    };
    this.open.add(file);
    return file;
  }

  /** Removes every file; resolves once they, and those a killed process left, are gone from disk. */
  async close(): Promise<void> {
    for (const file of [...this.open]) file.remove();
    await Promise.all([...this.removals, this.swept]);
  }
}
