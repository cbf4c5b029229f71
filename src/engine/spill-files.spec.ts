import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SpillFiles } from "./spill-files.js";

describe("SpillFiles", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "s3xsync-spill-files-spec-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function replayed(file: NonNullable<ReturnType<SpillFiles["create"]>>): Promise<string> {
    const chunks: Buffer[] = [];
    await file.replay((chunk) => chunks.push(chunk));
    return Buffer.concat(chunks).toString();
  }

  it("gives back the bytes written, in order, and removes its files on close", async () => {
    const files = new SpillFiles(1024, dir);
    const file = files.create();
    if (!file) throw new Error("no file");
    expect(file.write(Buffer.from("ab"))).toBe(true);
    expect(file.write(Buffer.from("cd"))).toBe(true);
    expect(await replayed(file)).toBe("abcd");
    files.create()?.write(Buffer.from("x"));
    await files.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses bytes past its budget, and a removed file gives its bytes back to the budget", async () => {
    const files = new SpillFiles(4, dir);
    const first = files.create();
    expect(first?.write(Buffer.from("abc"))).toBe(true);
    const second = files.create();
    expect(second?.write(Buffer.from("de"))).toBe(false);
    first?.remove();
    expect(second?.write(Buffer.from("de"))).toBe(true);
    await files.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes the files a killed process left: its own id's not open here, and a dead process's", async () => {
    // Above the kernel's largest process id (pid_max is at most 2^22): no process has it.
    const dead = 2 ** 22 + 1;
    const left = [`s3xsync-spill-${process.pid}-left`, `s3xsync-spill-${dead}-left`];
    const kept = [`s3xsync-spill-${process.ppid}-alive`, "another-tool.tmp"];
    for (const name of [...left, ...kept]) await writeFile(join(dir, name), "x");
    const files = new SpillFiles(1024, dir);
    files.create()?.write(Buffer.from("ab"));
    await files.close();
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
  });

  it("fails the replay of a file it could not write, then holds nothing and starts no file", async () => {
    const files = new SpillFiles(1024, join(dir, "missing"));
    const file = files.create();
    file?.write(Buffer.from("ab"));
    await expect(file?.replay(() => {})).rejects.toThrow(/ENOENT/);
    expect(files.capacityBytes()).toBe(0);
    expect(files.create()).toBeUndefined();
    await files.close();
  });

  it("keeps taking files after one removed with writes still queued", async () => {
    const files = new SpillFiles(64 * 1024 * 1024, dir);
    const file = files.create();
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < 16; i++) file?.write(chunk);
    // Removed once its first bytes are on disk: the writes queued behind them then meet a
    // destroyed stream (ERR_STREAM_DESTROYED), which is no fault of the disk.
    await vi.waitFor(
      async () => {
        const [name] = await readdir(dir);
        expect(name && (await stat(join(dir, name))).size).toBeGreaterThan(0);
      },
      { interval: 1 },
    );
    file?.remove();
    await files.close();
    expect(files.capacityBytes()).toBe(64 * 1024 * 1024);
    const next = files.create();
    expect(next?.write(Buffer.from("ab"))).toBe(true);
    expect(next && (await replayed(next))).toBe("ab");
    await files.close();
    expect(await readdir(dir)).toEqual([]);
  });
});
