import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { type JournalLock, lockJournal } from "./journal-lock.js";

/** One event in the journal: its id (stable for its life) and the attempts it has used. */
export interface JournaledEvent {
  id: string;
  attempts: number;
}

/** `ID.json` for a new event, `ID.N.json` once N attempts failed: the count survives a restart. */
const EVENT_FILE = /^(\d{15}-\d{9}-[0-9a-f]{8})(?:\.(\d{1,3}))?\.json$/;

function fileOf(event: JournaledEvent): string {
  return event.attempts === 0 ? `${event.id}.json` : `${event.id}.${event.attempts}.json`;
}

function parseFile(name: string): JournaledEvent | undefined {
  const match = EVENT_FILE.exec(name);
  return match ? { id: match[1] as string, attempts: Number(match[2] ?? 0) } : undefined;
}

/**
 * A directory of accepted events, one file each, so a restart of the worker loses none:
 * `pending/` holds events not yet done (written with fsync before the sender is answered),
 * `failed/` the events whose attempts were spent (the worker's dead-letter directory).
 * File names sort in arrival order. One worker at a time holds the directory (see lockJournal).
 */
export class EventJournal {
  private sequence = 0;

  private constructor(
    readonly dir: string,
    private readonly lock: JournalLock,
  ) {}

  /** Takes the journal's lock and removes the files a killed run left half-written. */
  static async open(dir: string): Promise<EventJournal> {
    await mkdir(dir, { recursive: true });
    const journal = new EventJournal(dir, await lockJournal(dir));
    try {
      await mkdir(journal.pendingDir, { recursive: true });
      await mkdir(journal.failedDir, { recursive: true });
      const names = await readdir(journal.pendingDir);
      for (const name of names.filter((n) => n.endsWith(".tmp")))
        await unlink(join(journal.pendingDir, name));
    } catch (error) {
      await journal.close();
      throw error;
    }
    return journal;
  }

  get pendingDir(): string {
    return join(this.dir, "pending");
  }

  get failedDir(): string {
    return join(this.dir, "failed");
  }

  /** The pending events, oldest first (events left by an earlier run come first). */
  async pending(): Promise<JournaledEvent[]> {
    const names = (await readdir(this.pendingDir)).sort();
    return names.map(parseFile).filter((event): event is JournaledEvent => event !== undefined);
  }

  /** Stores one event durably; resolves once it is on disk. */
  async append(body: string): Promise<JournaledEvent> {
    this.sequence++;
    const event = {
      id: `${Date.now().toString().padStart(15, "0")}-${String(this.sequence).padStart(9, "0")}-${randomBytes(4).toString("hex")}`,
      attempts: 0,
    };
    const temporary = join(this.pendingDir, `.${fileOf(event)}.tmp`);
    const file = await open(temporary, "wx");
    try {
      await file.writeFile(body, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.pendingDir, fileOf(event)));
    await syncDirectory(this.pendingDir);
    return event;
  }

  read(event: JournaledEvent): Promise<string> {
    return readFile(join(this.pendingDir, fileOf(event)), "utf8");
  }

  /** One more attempt of the event failed: its file says so from now on. */
  async attemptFailed(event: JournaledEvent): Promise<JournaledEvent> {
    const next = { id: event.id, attempts: event.attempts + 1 };
    await rename(join(this.pendingDir, fileOf(event)), join(this.pendingDir, fileOf(next)));
    await syncDirectory(this.pendingDir);
    return next;
  }

  /** The event is done: forget it. */
  async done(event: JournaledEvent): Promise<void> {
    await unlink(join(this.pendingDir, fileOf(event))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  /** The event's attempts are spent: keep it in failed/ for inspection; resolves with its path there. */
  async deadLetter(event: JournaledEvent): Promise<string> {
    const path = join(this.failedDir, fileOf(event));
    await rename(join(this.pendingDir, fileOf(event)), path);
    return path;
  }

  /** Lets another worker open the journal. */
  close(): Promise<void> {
    return this.lock.release();
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
