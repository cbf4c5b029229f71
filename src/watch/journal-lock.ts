import { randomBytes } from "node:crypto";
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A second worker on a journal that another one holds: one line for the user. */
export class JournalLockedError extends Error {
  override name = "JournalLockedError";
}

export interface JournalLock {
  readonly file: string;
  release(): Promise<void>;
}

/** Whether `pid` names a live process other than this one (the lock of a crashed run is stale). */
function isOtherLiveProcess(pid: number): boolean {
  // In a container a restarted worker often gets the PID its crashed predecessor had.
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function removeIfPresent(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/**
 * Takes the journal's lock file (`DIR/lock`, holding the owner's PID): two workers on one journal
 * would each do and delete the other's events. The file is written aside and linked into place, so
 * it appears with its PID already in it; a lock whose process is gone (killed, crashed) is taken over.
 */
export async function lockJournal(dir: string): Promise<JournalLock> {
  const file = join(dir, "lock");
  const draft = join(dir, `.lock-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(draft, `${process.pid}\n`, { flag: "wx" });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, file);
        return { file, release: () => removeIfPresent(file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
      if (isOtherLiveProcess(owner)) {
        throw new JournalLockedError(
          `journal ${dir} is in use by another worker (PID ${owner}, lock file ${file}): stop it, or give this worker another --journal`,
        );
      }
      await removeIfPresent(file);
    }
    throw new JournalLockedError(`journal ${dir}: another worker took its lock ${file} at the same time`);
  } finally {
    await removeIfPresent(draft);
  }
}
