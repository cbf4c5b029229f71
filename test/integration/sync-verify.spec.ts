// `s3xsync sync` and `s3xsync verify` between two real MinIO servers with different credentials.
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { type CliResult, runCli, type TransferJson } from "../support/cli.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  getBytes,
  head,
  incompleteUploads,
  listAll,
  listKeys,
  MiB,
  md5Hex,
  putMultipart,
  putObject,
  snapshotServer,
} from "../support/s3-fixtures.js";

const TRANSFER_SUMMARY_KEYS = ["copied", "skipped", "deleted", "failed", "bytes", "seconds", "failures"];
const VERIFY_SUMMARY_KEYS = ["inSync", "same", "missing", "different", "extra"];

interface VerifyJson {
  inSync: boolean;
  same: number;
  missing: string[];
  different: string[];
  extra: string[];
}

const fx = usePartitionPair();

function cli(args: string[]): Promise<CliResult> {
  return runCli([...args, ...fx.profiles.args, "--part-size", "5MiB"], fx.profiles.env);
}

function parseJson<T>(result: CliResult): T {
  const lines = result.stdout.split("\n").filter((line) => line !== "");
  expect(lines, "--json prints one line").toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as T;
}

async function syncJson(source: string, target: string, flags: string[] = []): Promise<TransferJson> {
  const result = await cli(["sync", source, target, "--json", ...flags]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const summary = parseJson<TransferJson>(result);
  for (const key of TRANSFER_SUMMARY_KEYS) expect(summary).toHaveProperty(key);
  return summary;
}

async function verifyJson(
  source: string,
  target: string,
): Promise<{ code: number | null; summary: VerifyJson }> {
  const result = await cli(["verify", source, target, "--json"]);
  expect(result.stderr).toBe("");
  const summary = parseJson<VerifyJson>(result);
  expect(Object.keys(summary)).toEqual(VERIFY_SUMMARY_KEYS);
  return { code: result.code, summary };
}

/** A source tree of mixed sizes under `photos/`, with neighbours that must stay out of a sync. */
async function seedPhotos(bucket: string): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>([
    ["photos/small.txt", bytesOf(100)],
    ["photos/empty.bin", Buffer.alloc(0)],
    ["photos/album/", Buffer.alloc(0)],
    ["photos/中文/北京 照片.jpg", bytesOf(2048)],
    ["photos/emoji 😀 + % & =.txt", bytesOf(300)],
    ["photos/big-single.bin", bytesOf(6 * MiB)],
  ]);
  for (const [key, body] of objects) await putObject(fx.sourceClient, bucket, key, body);
  const multipart = bytesOf(12 * MiB);
  await putMultipart(fx.sourceClient, bucket, "photos/multipart.bin", multipart, 5 * MiB);
  objects.set("photos/multipart.bin", multipart);
  // Outside the prefix, including one that shares its first letters.
  await putObject(fx.sourceClient, bucket, "photosx/not-a-photo.txt", bytesOf(10));
  await putObject(fx.sourceClient, bucket, "other/file.txt", bytesOf(10));
  return objects;
}

function totalBytes(objects: Map<string, Buffer>): number {
  return [...objects.values()].reduce((sum, body) => sum + body.length, 0);
}

describe("sync", () => {
  it("copies a prefix of mixed sizes, then a second sync moves zero bytes", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "sync-src");
    const targetBucket = await createBucket(fx.targetClient, "sync-dst");
    const objects = await seedPhotos(sourceBucket);

    const first = await syncJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);
    expect(first).toMatchObject({
      copied: objects.size,
      skipped: 0,
      deleted: 0,
      failed: 0,
      bytes: totalBytes(objects),
      failures: [],
    });

    const expectedKeys = [...objects.keys()].map((key) => key.replace(/^photos\//, "backup/"));
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual(expectedKeys.sort());
    for (const [key, body] of objects) {
      const copy = await getBytes(fx.targetClient, targetBucket, key.replace(/^photos\//, "backup/"));
      expect(md5Hex(copy), key).toBe(md5Hex(body));
    }
    const [sourceMultipart, targetMultipart] = await Promise.all([
      head(fx.sourceClient, sourceBucket, "photos/multipart.bin"),
      head(fx.targetClient, targetBucket, "backup/multipart.bin"),
    ]);
    expect(sourceMultipart.ETag).toMatch(/-3"$/);
    expect(targetMultipart.ETag).toBe(sourceMultipart.ETag);
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);

    const before = await listAll(fx.targetClient, targetBucket);
    const second = await syncJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);
    expect(second).toMatchObject({ copied: 0, skipped: objects.size, deleted: 0, failed: 0, bytes: 0 });
    expect(await listAll(fx.targetClient, targetBucket)).toEqual(before);

    // The human output of a sync with nothing to do.
    const text = await cli(["sync", `s3://${sourceBucket}/photos/`, `s3://${targetBucket}/backup/`]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toMatch(/^copied 0, skipped 7, deleted 0, failed 0; 0 B in /);
  });

  it("--dry-run writes nothing and names both ends of what it would copy and delete", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "dry-src");
    const targetBucket = await createBucket(fx.targetClient, "dry-dst");
    await putObject(fx.sourceClient, sourceBucket, "data/new.txt", bytesOf(10));
    await putObject(fx.sourceClient, sourceBucket, "data/新文件.txt", bytesOf(20));
    const same = bytesOf(30);
    await putObject(fx.sourceClient, sourceBucket, "data/same.txt", same);
    await putObject(fx.sourceClient, sourceBucket, "data/changed.txt", bytesOf(40));
    await putObject(fx.targetClient, targetBucket, "mirror/same.txt", same);
    await putObject(fx.targetClient, targetBucket, "mirror/changed.txt", bytesOf(40));
    await putObject(fx.targetClient, targetBucket, "mirror/extra.txt", bytesOf(50));
    const before = {
      source: await snapshotServer(fx.sourceClient),
      target: await snapshotServer(fx.targetClient),
    };
    const src = `s3://${sourceBucket}/data`;
    const dst = `s3://${targetBucket}/mirror`;
    const wouldCopy = (name: string) => `would copy ${src}/${name} -> ${dst}/${name}`;

    const text = await cli(["sync", src, dst, "--dry-run"]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    const lines = text.stdout.split("\n").filter((line) => line !== "");
    expect(lines.filter((line) => line.startsWith("would copy s3://")).sort()).toEqual(
      [wouldCopy("changed.txt"), wouldCopy("new.txt"), wouldCopy("新文件.txt")].sort(),
    );
    expect(lines.at(-1)).toBe(
      "would copy 3 (70 B), would delete 0, skipped 1, failed 0; dry run: nothing was written",
    );

    const withDelete = await cli(["sync", src, dst, "--dry-run", "--delete"]);
    expect(withDelete.code).toBe(0);
    expect(withDelete.stdout).toContain(`would delete ${dst}/extra.txt\n`);
    expect(withDelete.stdout).toContain(`${wouldCopy("新文件.txt")}\n`);
    expect(withDelete.stdout).toMatch(
      /\nwould copy 3 \(70 B\), would delete 1, skipped 1, failed 0; dry run/,
    );
    expect(withDelete.stdout).not.toMatch(/^copied /m);

    const summary = await syncJson(src, dst, ["--dry-run", "--delete"]);
    expect(summary).toMatchObject({ copied: 3, skipped: 1, deleted: 1, failed: 0, bytes: 0, dryRun: true });

    expect({
      source: await snapshotServer(fx.sourceClient),
      target: await snapshotServer(fx.targetClient),
    }).toEqual(before);
  });

  it("--delete removes extra target objects under the prefix, and only with the flag", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "del-src");
    const targetBucket = await createBucket(fx.targetClient, "del-dst");
    await putObject(fx.sourceClient, sourceBucket, "logs/keep.txt", bytesOf(10));
    await putObject(fx.targetClient, targetBucket, "mirror/extra.txt", bytesOf(10));
    await putObject(fx.targetClient, targetBucket, "mirror/deep/多余 😀.txt", bytesOf(10));
    // Outside the target prefix: never touched.
    await putObject(fx.targetClient, targetBucket, "mirrorx/outside.txt", bytesOf(10));
    await putObject(fx.targetClient, targetBucket, "other/outside.txt", bytesOf(10));

    const without = await syncJson(`s3://${sourceBucket}/logs`, `s3://${targetBucket}/mirror`);
    expect(without).toMatchObject({ copied: 1, deleted: 0, failed: 0 });
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual(
      [
        "mirror/deep/多余 😀.txt",
        "mirror/extra.txt",
        "mirror/keep.txt",
        "mirrorx/outside.txt",
        "other/outside.txt",
      ].sort(),
    );

    const withDelete = await syncJson(`s3://${sourceBucket}/logs`, `s3://${targetBucket}/mirror`, [
      "--delete",
    ]);
    expect(withDelete).toMatchObject({ copied: 0, skipped: 1, deleted: 2, failed: 0, bytes: 0 });
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual(
      ["mirror/keep.txt", "mirrorx/outside.txt", "other/outside.txt"].sort(),
    );
    // The source is never touched.
    expect(await listKeys(fx.sourceClient, sourceBucket)).toEqual(["logs/keep.txt"]);
  });
});

describe("sync with special characters in the prefixes", () => {
  it("lists, copies and verifies under prefixes with Chinese, space, + and %", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "prefix-src");
    const targetBucket = await createBucket(fx.targetClient, "prefix-dst");
    const bodies = new Map([
      ["中文 目录+x/a b.txt", bytesOf(11)],
      ["中文 目录+x/子目录/😀.txt", bytesOf(12)],
    ]);
    for (const [key, body] of bodies) await putObject(fx.sourceClient, sourceBucket, key, body);
    await putObject(fx.sourceClient, sourceBucket, "中文 目录+xy/outside.txt", bytesOf(13));

    const summary = await syncJson(`s3://${sourceBucket}/中文 目录+x`, `s3://${targetBucket}/备份 50%`);
    expect(summary).toMatchObject({ copied: 2, failed: 0, bytes: 23 });
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual(
      ["备份 50%/a b.txt", "备份 50%/子目录/😀.txt"].sort(),
    );
    for (const [key, body] of bodies) {
      const copy = await getBytes(fx.targetClient, targetBucket, key.replace("中文 目录+x/", "备份 50%/"));
      expect(copy.equals(body), key).toBe(true);
    }
    const verify = await verifyJson(`s3://${sourceBucket}/中文 目录+x/`, `s3://${targetBucket}/备份 50%/`);
    expect(verify.code).toBe(0);
    expect(verify.summary).toMatchObject({ inSync: true, same: 2 });
  });
});

describe("verify", () => {
  it("exits 0 in sync; exits 1 naming exactly the missing, different and extra keys; writes nothing", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "verify-src");
    const targetBucket = await createBucket(fx.targetClient, "verify-dst");
    const objects = await seedPhotos(sourceBucket);
    await syncJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);

    const inSync = await verifyJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);
    expect(inSync.code).toBe(0);
    expect(inSync.summary).toEqual({
      inSync: true,
      same: objects.size,
      missing: [],
      different: [],
      extra: [],
    });

    // Missing: deleted from the target, and new in the source.
    await fx.targetClient.send(new DeleteObjectCommand({ Bucket: targetBucket, Key: "backup/small.txt" }));
    await putObject(fx.sourceClient, sourceBucket, "photos/新的/上海.txt", bytesOf(64));
    // Different: same size other bytes, another size, and a multipart copy replaced in one piece.
    await putObject(fx.targetClient, targetBucket, "backup/中文/北京 照片.jpg", bytesOf(2048));
    await putObject(fx.targetClient, targetBucket, "backup/emoji 😀 + % & =.txt", bytesOf(301));
    await putObject(fx.targetClient, targetBucket, "backup/multipart.bin", bytesOf(12 * MiB));
    // Extra: only in the target.
    await putObject(fx.targetClient, targetBucket, "backup/多余的 文件.txt", bytesOf(5));
    await putObject(fx.targetClient, targetBucket, "backup/zz-extra+1.txt", bytesOf(5));
    // Outside the prefixes: not compared.
    await putObject(fx.targetClient, targetBucket, "elsewhere/x.txt", bytesOf(5));

    const before = {
      source: await snapshotServer(fx.sourceClient),
      target: await snapshotServer(fx.targetClient),
    };
    const diff = await verifyJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);
    expect(diff.code).toBe(1);
    expect({
      ...diff.summary,
      missing: [...diff.summary.missing].sort(),
      different: [...diff.summary.different].sort(),
      extra: [...diff.summary.extra].sort(),
    }).toEqual({
      inSync: false,
      same: 3,
      missing: ["photos/small.txt", "photos/新的/上海.txt"].sort(),
      different: ["photos/emoji 😀 + % & =.txt", "photos/multipart.bin", "photos/中文/北京 照片.jpg"].sort(),
      extra: ["backup/zz-extra+1.txt", "backup/多余的 文件.txt"].sort(),
    });
    // The raw JSON carries the UTF-8 keys themselves, not %-escapes.
    const raw = await cli(["verify", `s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`, "--json"]);
    expect(raw.stdout).toContain('"photos/新的/上海.txt"');
    expect(raw.stdout).toContain('"backup/多余的 文件.txt"');
    expect(raw.stdout).not.toMatch(/%E[0-9A-F]/i);

    // The human report.
    const text = await cli(["verify", `s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("missing: photos/新的/上海.txt\n");
    expect(text.stdout).toContain("different: photos/multipart.bin\n");
    expect(text.stdout).toContain("extra: backup/多余的 文件.txt\n");
    expect(text.stdout).toContain("not in sync: 3 same, 2 missing, 3 different, 2 extra");

    // verify wrote nothing on either side.
    expect({
      source: await snapshotServer(fx.sourceClient),
      target: await snapshotServer(fx.targetClient),
    }).toEqual(before);

    // A sync with --delete repairs exactly that, and verify agrees.
    const repair = await syncJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`, ["--delete"]);
    expect(repair).toMatchObject({ copied: 5, deleted: 2, failed: 0, skipped: 3 });
    const after = await verifyJson(`s3://${sourceBucket}/photos`, `s3://${targetBucket}/backup`);
    expect(after.code).toBe(0);
    expect(after.summary).toMatchObject({ inSync: true, same: objects.size + 1 });
    expect(await listKeys(fx.targetClient, targetBucket, "elsewhere/")).toEqual(["elsewhere/x.txt"]);
  });
});
