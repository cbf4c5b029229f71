import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * A directory of accepted events, one file each, so a restart of the worker loses none:
 * `pending/` holds events not yet done (written with fsync before the sender is answered),
 * `failed/` the events whose attempts were spent (the worker's dead-letter directory).
 * File names sort in arrival order.
 */
export class EventJournal {
  private sequence = 0;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<EventJournal> {
    const journal = new EventJournal(dir);
    await mkdir(journal.pendingDir, { recursive: true });
    await mkdir(journal.failedDir, { recursive: true });
    return journal;
  }

  get pendingDir(): string {
    return join(this.dir, "pending");
  }

  get failedDir(): string {
    return join(this.dir, "failed");
  }

  /** Ids of the pending events, oldest first (events left by an earlier run come first). */
  async pending(): Promise<string[]> {
    const names = await readdir(this.pendingDir);
    return names.filter((name) => name.endsWith(".json")).sort();
  }

  /** Stores one event durably; resolves with its id once it is on disk. */
  async append(body: string): Promise<string> {
    this.sequence++;
    const id = `${Date.now().toString().padStart(15, "0")}-${String(this.sequence).padStart(9, "0")}-${randomBytes(4).toString("hex")}.json`;
    const temporary = join(this.pendingDir, `.${id}.tmp`);
    const file = await open(temporary, "wx");
    try {
      await file.writeFile(body, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.pendingDir, id));
    await syncDirectory(this.pendingDir);
    return id;
  }

  read(id: string): Promise<string> {
    return readFile(join(this.pendingDir, id), "utf8");
  }

  /** The event is done: forget it. */
  async done(id: string): Promise<void> {
    await unlink(join(this.pendingDir, id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  /** The event's attempts are spent: keep it in failed/ for inspection. */
  async deadLetter(id: string): Promise<void> {
    await rename(join(this.pendingDir, id), join(this.failedDir, id));
  }
}

/** Makes a rename in the directory durable (best effort where directories cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the file itself is already synced.
  }
}
