import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OrderedDigest } from "./ordered-digest.js";
import { SpillFiles } from "./spill-files.js";

describe("OrderedDigest", () => {
  it("hashes parts in part order whatever order they arrive in", async () => {
    const digest = new OrderedDigest();
    const order: number[] = [];
    const third = digest.submit(3, [Buffer.from("c")]).then(() => order.push(3));
    const second = digest.submit(2, [Buffer.from("b1"), Buffer.from("b2")]).then(() => order.push(2));
    await Promise.resolve();
    expect(order).toEqual([]);
    await digest.submit(1, [Buffer.from("a")]);
    await Promise.all([second, third]);
    expect(order).toEqual([2, 3]);
    expect(digest.md5Hex()).toBe(createHash("md5").update("ab1b2c").digest("hex"));
  });

  it("releases waiting parts when abandoned", async () => {
    const digest = new OrderedDigest();
    const waiting = digest.submit(2, [Buffer.from("x")]);
    digest.abandon();
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe("OrderedDigest reads (open / write / complete / discard)", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");

  function read(digest: OrderedDigest, partNumber: number, chunks: string[], completeIt = true) {
    const sink = digest.open(partNumber);
    for (const chunk of chunks) sink.write(Buffer.from(chunk));
    if (completeIt) sink.complete(md5(chunks.join("")));
    return sink;
  }

  it("hashes interleaved reads in part order and lets a part go once the parts before it are read", async () => {
    const digest = new OrderedDigest();
    const one = digest.open(1);
    const two = digest.open(2);
    const hashed: number[] = [];
    const twoHashed = digest.released(2).then(() => hashed.push(2));
    one.write(Buffer.from("a1"));
    two.write(Buffer.from("b1"));
    one.write(Buffer.from("a2"));
    two.write(Buffer.from("b2"));
    two.complete(md5("b1b2"));
    await Promise.resolve();
    expect(hashed).toEqual([]);
    one.complete(md5("a1a2"));
    await twoHashed;
    expect(hashed).toEqual([2]);
    expect(digest.partFingerprint(1)).toBe(md5("a1a2"));
    expect(digest.partFingerprint(2)).toBe(md5("b1b2"));
    expect(digest.md5Hex()).toBe(md5("a1a2b1b2"));
  });

  it("forgets a failed read of the frontier part, even after some of its bytes were hashed", () => {
    const digest = new OrderedDigest();
    read(digest, 1, ["a"]);
    read(digest, 2, ["broken"], false).discard();
    read(digest, 3, ["c"]);
    read(digest, 2, ["b"]);
    expect(digest.md5Hex()).toBe(md5("abc"));
  });

  it("forgets a failed read of a later part, and a superseded read writes nothing", () => {
    const digest = new OrderedDigest();
    const stale = read(digest, 2, ["x"], false);
    read(digest, 2, ["b"]);
    stale.write(Buffer.from("late"));
    stale.discard();
    read(digest, 1, ["a"]);
    expect(digest.md5Hex()).toBe(md5("ab"));
  });

  it("keeps the first complete read of a part; a second read must give the same bytes", () => {
    const digest = new OrderedDigest();
    read(digest, 2, ["b"]);
    expect(() => read(digest, 2, ["b"])).not.toThrow();
    expect(() => read(digest, 2, ["other"])).toThrow(/other bytes/);
    read(digest, 1, ["a"]);
    expect(() => read(digest, 1, ["again"])).toThrow(/other bytes/);
    expect(digest.md5Hex()).toBe(md5("ab"));
  });
});

describe("OrderedDigest within a budget", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");
  const parts: Record<number, string> = { 1: "aaaa", 2: "bbbb", 3: "cccc", 4: "dddd" };

  function read(digest: OrderedDigest, partNumber: number) {
    const sink = digest.open(partNumber);
    sink.write(Buffer.from(parts[partNumber] ?? ""));
    sink.complete(md5(parts[partNumber] ?? ""));
  }

  it("lets the bytes of a part past the budget go, and reads it again in its turn", async () => {
    const rereads: number[] = [];
    const digest = new OrderedDigest(5, async (partNumber) => {
      rereads.push(partNumber);
      read(digest, partNumber);
    });
    read(digest, 2); // held: 4 of 5 bytes
    const fourReleased = digest.released(4);
    read(digest, 4); // past the budget: spilled, its slot let go at once
    await fourReleased;
    read(digest, 3); // past the budget as well
    read(digest, 1);
    await digest.whenHashed(4);
    expect(rereads).toEqual([3, 4]);
    expect(digest.md5Hex()).toBe(md5("aaaabbbbccccdddd"));
    expect([1, 2, 3, 4].map((n) => digest.partFingerprint(n))).toEqual(
      [1, 2, 3, 4].map((n) => md5(parts[n] ?? "")),
    );
  });

  it("fails whenHashed when a part cannot be read again", async () => {
    const digest = new OrderedDigest(0, async () => {
      throw new Error("source gone");
    });
    read(digest, 2);
    read(digest, 1);
    await expect(digest.whenHashed(2)).rejects.toThrow("source gone");
  });
});

describe("OrderedDigest with spill files", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");
  const parts: Record<number, string> = { 1: "aaaa", 2: "bbbb", 3: "cccc", 4: "dddd" };
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "s3xsync-spill-spec-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function read(digest: OrderedDigest, partNumber: number, completeIt = true) {
    const sink = digest.open(partNumber);
    const text = parts[partNumber] ?? "";
    sink.write(Buffer.from(text.slice(0, 2)));
    sink.write(Buffer.from(text.slice(2)));
    if (completeIt) sink.complete(md5(text));
    return sink;
  }

  function noReread(rereads: number[], digest: () => OrderedDigest) {
    return async (partNumber: number) => {
      rereads.push(partNumber);
      read(digest(), partNumber);
    };
  }

  it("keeps the bytes past the budget on disk and hashes them from there in turn, reading nothing twice", async () => {
    const rereads: number[] = [];
    const digest: OrderedDigest = new OrderedDigest(
      5,
      noReread(rereads, () => digest),
      new SpillFiles(1024, dir),
    );
    read(digest, 2); // held in memory: 4 of 5 bytes
    let fourReleased = false;
    const four = digest.released(4).then(() => {
      fourReleased = true;
    });
    read(digest, 4); // to disk: it holds bytes here until hashed
    const three = read(digest, 3, false); // to disk mid-read: its later bytes follow it there
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fourReleased).toBe(false);
    read(digest, 1);
    three.complete(md5("cccc"));
    await Promise.all([digest.whenHashed(4), four]);
    expect(rereads).toEqual([]);
    expect(digest.md5Hex()).toBe(md5("aaaabbbbccccdddd"));
    await digest.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("forgets the file of a failed read, and a later read of the part counts", async () => {
    const digest = new OrderedDigest(0, undefined, new SpillFiles(1024, dir));
    read(digest, 2, false).discard();
    read(digest, 2);
    read(digest, 1);
    await digest.whenHashed(2);
    expect(digest.md5Hex()).toBe(md5("aaaabbbb"));
    await digest.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("reads a part again when the disk budget has no room for it", async () => {
    const rereads: number[] = [];
    const digest: OrderedDigest = new OrderedDigest(
      0,
      noReread(rereads, () => digest),
      new SpillFiles(6, dir),
    );
    read(digest, 2); // 4 bytes on disk
    read(digest, 3); // 2 more would fit, not 4: let go
    read(digest, 1);
    await digest.whenHashed(3);
    expect(rereads).toEqual([3]);
    expect(digest.md5Hex()).toBe(md5("aaaabbbbcccc"));
    await digest.close();
  });

  it("reads a part again when its file cannot be written", async () => {
    const rereads: number[] = [];
    const digest: OrderedDigest = new OrderedDigest(
      0,
      noReread(rereads, () => digest),
      new SpillFiles(1024, join(dir, "missing")),
    );
    read(digest, 2);
    read(digest, 1);
    await digest.whenHashed(2);
    expect(rereads).toEqual([2]);
    expect(digest.md5Hex()).toBe(md5("aaaabbbb"));
    await digest.close();
  });
});

describe("OrderedDigest beside a hedge (two runs of one part at once)", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");

  it("hashes the hedge's read, which replaced the first, when the first delivers first and the hedge too", async () => {
    const rereads: number[] = [];
    const digest = new OrderedDigest(Number.POSITIVE_INFINITY, async (partNumber) => {
      rereads.push(partNumber);
    });
    const first = digest.open(1);
    first.write(Buffer.from("a"));
    const hedge = digest.open(1);
    hedge.write(Buffer.from("a"));
    first.write(Buffer.from("a"));
    first.complete(md5("aa"));
    hedge.write(Buffer.from("a"));
    hedge.complete(md5("aa"));
    await digest.whenHashed(1);
    expect(rereads).toEqual([]);
    expect(digest.md5Hex()).toBe(md5("aa"));
  });

  it("reads the part again in its turn when the first run delivered it and the hedge was stopped", async () => {
    const rereads: number[] = [];
    const digest: OrderedDigest = new OrderedDigest(Number.POSITIVE_INFINITY, async (partNumber) => {
      rereads.push(partNumber);
      const again = digest.open(partNumber);
      again.write(Buffer.from("aa"));
      again.complete(md5("aa"));
    });
    const second = digest.open(2);
    second.write(Buffer.from("b"));
    second.complete(md5("b"));
    const first = digest.open(1);
    first.write(Buffer.from("a"));
    const hedge = digest.open(1); // the frontier's bytes so far are rolled back
    hedge.write(Buffer.from("a"));
    first.write(Buffer.from("a"));
    first.complete(md5("aa")); // the first run wins: its bytes were not kept
    hedge.discard(); // the hedge is cancelled
    await digest.whenHashed(2);
    expect(rereads).toEqual([1]);
    expect(digest.md5Hex()).toBe(md5("aab"));
    expect(digest.partFingerprint(1)).toBe(md5("aa"));
  });
});
