import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EventJournal } from "./event-journal.js";

const dirs: string[] = [];
async function journalDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "s3xsync-journal-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("EventJournal", () => {
  it("removes the half-written files a killed run left, and keeps its events", async () => {
    const dir = await journalDir();
    const first = await EventJournal.open(dir);
    const kept = await first.append('{"Records":[]}');
    await first.close();
    await writeFile(join(dir, "pending", `.000001764000000000-000000001-0badc0de.json.tmp`), '{"Rec');

    const journal = await EventJournal.open(dir);
    expect(await readdir(journal.pendingDir)).toEqual([`${kept.id}.json`]);
    expect(await journal.pending()).toEqual([kept]);
    await journal.close();
  });

  it("keeps an event's failed attempts in its file name, across a reopen", async () => {
    const dir = await journalDir();
    const first = await EventJournal.open(dir);
    const event = await first.append("body");
    const once = await first.attemptFailed(event);
    const twice = await first.attemptFailed(once);
    expect(twice).toEqual({ id: event.id, attempts: 2 });
    expect(await first.read(twice)).toBe("body");
    await first.close();

    const journal = await EventJournal.open(dir);
    expect(await journal.pending()).toEqual([{ id: event.id, attempts: 2 }]);
    expect(await journal.deadLetter(twice)).toBe(join(dir, "failed", `${event.id}.2.json`));
    expect(await journal.pending()).toEqual([]);
    await journal.close();
  });

  it("lets one worker at a time hold a journal", async () => {
    const dir = await journalDir();
    const journal = await EventJournal.open(dir);
    await journal.close();
    expect(await readdir(dir)).not.toContain("lock");
    // A lock naming a live process (this one's parent) is another worker's.
    await writeFile(join(dir, "lock"), `${process.ppid}\n`);
    await expect(EventJournal.open(dir)).rejects.toThrow(
      `journal ${dir} is in use by another worker (PID ${process.ppid}, lock file ${dir}/lock): stop it, or give this worker another --journal`,
    );
    expect((await readdir(dir)).sort()).toEqual(["failed", "lock", "pending"]);
  });

  it("takes over the lock of a worker that is gone", async () => {
    const dir = await journalDir();
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(join(dir, "lock"), `${gone}\n`);
    const journal = await EventJournal.open(dir);
    await journal.append("body");
    await journal.close();
    expect((await readdir(dir)).sort()).toEqual(["failed", "pending"]);
  });
});
