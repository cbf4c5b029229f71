// The engine and `s3xsync copy` between two real MinIO servers with different credentials: one
// plays the China source, the other the Global target.
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { SOURCE_ETAG_METADATA_KEY, userMetadata } from "../../src/engine/index.js";
import { runCli, type TransferJson } from "../support/cli.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  engineBetween,
  getBytes,
  head,
  incompleteUploads,
  keyOfLength,
  listKeys,
  MiB,
  md5Hex,
  putMultipart,
  putObject,
  tagsOf,
} from "../support/s3-fixtures.js";

/** The `--json` summary of copy and sync, key for key as README.md (Output and exit codes) gives it. */
const TRANSFER_SUMMARY_KEYS = ["copied", "skipped", "deleted", "failed", "bytes", "seconds", "failures"];

const SPECIAL_KEYS = [
  "with space/a file name.txt",
  "plus+sign+key.txt",
  "percent%25and%literal.txt",
  "equals=sign=key.txt",
  "amp&ersand&key.txt",
  "中文目录/北京文件.txt",
  "emoji/😀 smile 🚀.txt",
  "mixed ?#[]!$'()*,;@ key.txt",
];

const fx = usePartitionPair();

/** `s3xsync copy SRC DST --json` with both profiles; fails the test on a non-zero exit. */
async function cliCopy(source: string, target: string, extra: string[] = []): Promise<TransferJson> {
  const result = await runCli(
    ["copy", source, target, ...fx.profiles.args, "--json", ...extra],
    fx.profiles.env,
  );
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as TransferJson;
}

async function buckets(label: string) {
  return {
    sourceBucket: await createBucket(fx.sourceClient, label),
    targetBucket: await createBucket(fx.targetClient, label),
  };
}

function engineFor(
  sourceBucket: string,
  targetBucket: string,
  options?: Parameters<typeof engineBetween>[2],
  hooks?: Parameters<typeof engineBetween>[3],
) {
  return engineBetween(
    { client: fx.sourceClient, bucket: sourceBucket },
    { client: fx.targetClient, bucket: targetBucket },
    options,
    hooks,
  );
}

/** Counts the commands an S3 client sends, by name (GetObjectCommand, PutObjectCommand, ...). */
function countCommands(client: S3Client): { counts: Record<string, number>; stop(): void } {
  const counts: Record<string, number> = {};
  const name = `count-commands-${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "unknown";
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name },
  );
  return { counts, stop: () => client.middlewareStack.remove(name) };
}

describe("keys", () => {
  it("engine: copies keys with a space, +, %, =, &, Chinese, emoji and a 1,024-byte key", async () => {
    const { sourceBucket, targetBucket } = await buckets("keys-engine");
    const longKey = keyOfLength(1024);
    expect(Buffer.byteLength(longKey)).toBe(1024);
    const keys = [...SPECIAL_KEYS, longKey];
    const bodies = new Map(keys.map((key) => [key, bytesOf(1000 + Buffer.byteLength(key))]));
    for (const [key, body] of bodies) await putObject(fx.sourceClient, sourceBucket, key, body);

    const engine = engineFor(sourceBucket, targetBucket);
    for (const key of keys) {
      const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
      expect(outcome).toMatchObject({ status: "copied", key, evidence: "etag" });
      expect(await getBytes(fx.targetClient, targetBucket, key)).toEqual(bodies.get(key));
    }
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual([...keys].sort());
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });

  it("CLI: copy keeps each special key verbatim, and the JSON names it in UTF-8", async () => {
    const { sourceBucket, targetBucket } = await buckets("keys-cli");
    const keys = [...SPECIAL_KEYS, keyOfLength(1024, "cli-long/")];
    const bodies = new Map(keys.map((key) => [key, bytesOf(777)]));
    for (const [key, body] of bodies) await putObject(fx.sourceClient, sourceBucket, key, body);

    for (const key of keys) {
      const summary = await cliCopy(`s3://${sourceBucket}/${key}`, `s3://${targetBucket}`);
      expect(summary).toMatchObject({ copied: 1, failed: 0, bytes: 777, failures: [] });
      expect(await getBytes(fx.targetClient, targetBucket, key)).toEqual(bodies.get(key));
    }
    expect((await listKeys(fx.targetClient, targetBucket)).sort()).toEqual([...keys].sort());

    // A missing special key is reported with its real key, not a URL-encoded one.
    const missing = "缺失 50%+off&x=1 😀.txt";
    const result = await runCli(
      ["copy", `s3://${sourceBucket}/${missing}`, `s3://${targetBucket}`, ...fx.profiles.args, "--json"],
      fx.profiles.env,
    );
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as TransferJson).failures.map((f) => f.key)).toEqual([missing]);
  });

  it("copies a zero-byte object and a key ending in /", async () => {
    const { sourceBucket, targetBucket } = await buckets("empty");
    await putObject(fx.sourceClient, sourceBucket, "empty.bin", Buffer.alloc(0));
    await putObject(fx.sourceClient, sourceBucket, "folder/", Buffer.alloc(0));
    await putObject(fx.sourceClient, sourceBucket, "folder/with-bytes/", Buffer.from("not empty"));

    const engine = engineFor(sourceBucket, targetBucket);
    for (const key of ["empty.bin", "folder/", "folder/with-bytes/"]) {
      const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
      expect(outcome).toMatchObject({ status: "copied", key, evidence: "etag" });
      const [sourceHead, targetHead] = await Promise.all([
        head(fx.sourceClient, sourceBucket, key),
        head(fx.targetClient, targetBucket, key),
      ]);
      expect(targetHead.ContentLength).toBe(sourceHead.ContentLength);
      expect(targetHead.ETag).toBe(sourceHead.ETag);
    }
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "empty.bin"))).toBe(md5Hex(Buffer.alloc(0)));
    expect((await getBytes(fx.targetClient, targetBucket, "folder/with-bytes/")).toString()).toBe(
      "not empty",
    );

    // The CLI: a zero-byte object, into a target folder.
    const cliTarget = await createBucket(fx.targetClient, "empty-cli");
    const summary = await cliCopy(`s3://${sourceBucket}/empty.bin`, `s3://${cliTarget}/dir/`);
    expect(summary).toMatchObject({ copied: 1, bytes: 0, failed: 0 });
    expect(await listKeys(fx.targetClient, cliTarget)).toEqual(["dir/empty.bin"]);
    expect((await head(fx.targetClient, cliTarget, "dir/empty.bin")).ContentLength).toBe(0);
  });
});

describe("sizes and layouts", () => {
  const threshold = 5 * MiB;
  const sizes = [
    { label: "one byte below the multipart threshold", size: threshold - 1, multipart: false },
    { label: "exactly at the multipart threshold", size: threshold, multipart: false },
    { label: "one byte above the multipart threshold", size: threshold + 1, multipart: true },
  ];

  for (const { label, size, multipart } of sizes) {
    it(`engine and CLI: ${label} (${size} bytes, part size 5 MiB)`, async () => {
      const { sourceBucket, targetBucket } = await buckets("threshold");
      const body = bytesOf(size);
      const sourceEtag = await putObject(fx.sourceClient, sourceBucket, "object.bin", body);

      const engine = engineFor(sourceBucket, targetBucket, { partSize: threshold });
      const outcome = await engine.replicate({ sourceKey: "object.bin", targetKey: "object.bin" });
      // A single PUT makes the target's ETag the source's; our own parts are proven by the CRC32
      // the SDK stored with the source.
      expect(outcome).toMatchObject({
        status: "copied",
        size,
        bytes: size,
        evidence: multipart ? "crc32" : "etag",
      });
      const targetHead = await head(fx.targetClient, targetBucket, "object.bin");
      if (multipart) expect(targetHead.ETag).toMatch(/-2"$/);
      else expect(targetHead.ETag?.replace(/"/g, "")).toBe(sourceEtag);
      expect(targetHead.Metadata?.[SOURCE_ETAG_METADATA_KEY]).toBe(sourceEtag);
      expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "object.bin"))).toBe(md5Hex(body));

      const cliTarget = await createBucket(fx.targetClient, "threshold-cli");
      const summary = await cliCopy(`s3://${sourceBucket}/object.bin`, `s3://${cliTarget}`, [
        "--part-size",
        "5MiB",
      ]);
      expect(summary).toMatchObject({ copied: 1, skipped: 0, failed: 0, bytes: size });
      const cliHead = await head(fx.targetClient, cliTarget, "object.bin");
      if (multipart) expect(cliHead.ETag).toMatch(/-2"$/);
      else expect(cliHead.ETag?.replace(/"/g, "")).toBe(sourceEtag);
      expect(md5Hex(await getBytes(fx.targetClient, cliTarget, "object.bin"))).toBe(md5Hex(body));
      expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
      expect(await incompleteUploads(fx.targetClient, cliTarget)).toEqual([]);
    });
  }

  it("mirrors a source uploaded in 7 MiB parts: equal ETags, evidence etag (engine and CLI)", async () => {
    const { sourceBucket, targetBucket } = await buckets("mirrored");
    const body = bytesOf(20 * MiB);
    const sourceEtag = await putMultipart(fx.sourceClient, sourceBucket, "video.mp4", body, 7 * MiB);
    expect(sourceEtag).toMatch(/^[0-9a-f]{32}-3$/);

    const engine = engineFor(sourceBucket, targetBucket, { partSize: 5 * MiB });
    const outcome = await engine.replicate({ sourceKey: "video.mp4", targetKey: "video.mp4" });
    expect(outcome).toMatchObject({
      status: "copied",
      evidence: "etag",
      size: body.length,
      bytes: body.length,
    });
    const targetHead = await head(fx.targetClient, targetBucket, "video.mp4");
    expect(targetHead.ETag?.replace(/"/g, "")).toBe(sourceEtag);
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "video.mp4"))).toBe(md5Hex(body));

    // The CLI at its default 8 MiB part size still keeps the source's 7 MiB layout.
    const cliTarget = await createBucket(fx.targetClient, "mirrored-cli");
    const summary = await cliCopy(`s3://${sourceBucket}/video.mp4`, `s3://${cliTarget}/copies/`);
    expect(summary).toMatchObject({ copied: 1, failed: 0, bytes: body.length });
    const cliHead = await head(fx.targetClient, cliTarget, "copies/video.mp4");
    expect(cliHead.ETag?.replace(/"/g, "")).toBe(sourceEtag);
    expect(md5Hex(await getBytes(fx.targetClient, cliTarget, "copies/video.mp4"))).toBe(md5Hex(body));
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
    expect(await incompleteUploads(fx.targetClient, cliTarget)).toEqual([]);
  });
  it("mirrors a multipart source of a single small part and one with a 1-byte last part", async () => {
    const { sourceBucket, targetBucket } = await buckets("odd-layouts");
    const cases = [
      { key: "one-part.bin", body: bytesOf(1000), partSize: 5 * MiB, parts: 1 },
      { key: "tiny-last.bin", body: bytesOf(10 * MiB + 1), partSize: 5 * MiB, parts: 3 },
    ];
    const engine = engineFor(sourceBucket, targetBucket);
    for (const { key, body, partSize, parts } of cases) {
      const sourceEtag = await putMultipart(fx.sourceClient, sourceBucket, key, body, partSize);
      expect(sourceEtag).toMatch(new RegExp(`-${parts}$`));
      const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
      expect(outcome).toMatchObject({ status: "copied", evidence: "etag", bytes: body.length });
      expect((await head(fx.targetClient, targetBucket, key)).ETag?.replace(/"/g, "")).toBe(sourceEtag);
      expect(md5Hex(await getBytes(fx.targetClient, targetBucket, key))).toBe(md5Hex(body));
    }
  });
});

describe("metadata and tags", () => {
  const expires = new Date("2031-02-03T04:05:06Z");
  const attributes = {
    ContentType: "text/csv; charset=utf-8",
    ContentEncoding: "gzip",
    ContentDisposition: 'attachment; filename="report.csv"',
    ContentLanguage: "zh-CN",
    CacheControl: "max-age=3600, must-revalidate",
    Expires: expires,
    Metadata: { owner: "team-beijing", "project-id": "42", note: "hello world" },
    Tagging: "env=prod&team=data%20platform&path=a%2Bb%3Dc%2Fd%3Ae%40f",
  };

  async function expectSameAttributes(sourceBucket: string, targetBucket: string, key: string) {
    const [s, t] = await Promise.all([
      head(fx.sourceClient, sourceBucket, key),
      head(fx.targetClient, targetBucket, key),
    ]);
    for (const field of [
      "ContentType",
      "ContentEncoding",
      "ContentDisposition",
      "ContentLanguage",
      "CacheControl",
      "ExpiresString",
    ] as const) {
      expect(t[field], field).toBe(s[field]);
    }
    expect(s.ContentType).toBe(attributes.ContentType);
    expect(s.ExpiresString).toBe(expires.toUTCString());
    expect(t.Expires?.getTime()).toBe(expires.getTime());
    expect(userMetadata(t.Metadata)).toEqual(s.Metadata);
    expect(s.Metadata).toEqual(attributes.Metadata);
    // The one key the tool adds: the source version's ETag.
    expect(Object.keys(t.Metadata ?? {}).sort()).toEqual(
      [...Object.keys(attributes.Metadata), SOURCE_ETAG_METADATA_KEY].sort(),
    );
    const [sourceTags, targetTags] = await Promise.all([
      tagsOf(fx.sourceClient, sourceBucket, key),
      tagsOf(fx.targetClient, targetBucket, key),
    ]);
    expect(sourceTags).toEqual({ env: "prod", team: "data platform", path: "a+b=c/d:e@f" });
    expect(targetTags).toEqual(sourceTags);
  }

  it("carries every content header, user metadata and three tags (single PUT and multipart)", async () => {
    const { sourceBucket, targetBucket } = await buckets("metadata");
    await putObject(fx.sourceClient, sourceBucket, "small.csv.gz", bytesOf(4096), attributes);
    await putObject(fx.sourceClient, sourceBucket, "large.csv.gz", bytesOf(6 * MiB), attributes);

    const engine = engineFor(sourceBucket, targetBucket, { partSize: 5 * MiB });
    for (const key of ["small.csv.gz", "large.csv.gz"]) {
      expect(await engine.replicate({ sourceKey: key, targetKey: key })).toMatchObject({ status: "copied" });
      await expectSameAttributes(sourceBucket, targetBucket, key);
    }

    const cliTarget = await createBucket(fx.targetClient, "metadata-cli");
    await cliCopy(`s3://${sourceBucket}/small.csv.gz`, `s3://${cliTarget}`);
    await expectSameAttributes(sourceBucket, cliTarget, "small.csv.gz");
  });
});

describe("a task from a listing (target known stale, source size known)", () => {
  it("reads a small object at once: one GET and one PUT, attributes carried, proven by ETag", async () => {
    const { sourceBucket, targetBucket } = await buckets("listed");
    const body = bytesOf(20_000);
    await putObject(fx.sourceClient, sourceBucket, "small.bin", body, {
      ContentType: "text/csv",
      Metadata: { owner: "data platform" },
    });
    const engine = engineFor(sourceBucket, targetBucket, { partSize: 5 * MiB });
    const sourceCount = countCommands(fx.sourceClient);
    const targetCount = countCommands(fx.targetClient);
    let outcome: Awaited<ReturnType<typeof engine.replicate>>;
    try {
      outcome = await engine.replicate({
        sourceKey: "small.bin",
        targetKey: "small.bin",
        targetKnownStale: true,
        sourceSize: body.length,
      });
    } finally {
      sourceCount.stop();
      targetCount.stop();
    }
    expect(outcome).toMatchObject({ status: "copied", evidence: "etag", bytes: body.length });
    expect(sourceCount.counts).toEqual({ GetObjectCommand: 1 });
    expect(targetCount.counts).toEqual({ PutObjectCommand: 1 });
    const copied = await head(fx.targetClient, targetBucket, "small.bin");
    expect(copied.ContentType).toBe("text/csv");
    expect(userMetadata(copied.Metadata)).toEqual({ owner: "data platform" });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "small.bin"))).toBe(md5Hex(body));
  });

  it("copies in parts an object listed small that has grown since, and skips one deleted since", async () => {
    const { sourceBucket, targetBucket } = await buckets("listed-grown");
    const grown = bytesOf(11 * MiB);
    await putMultipart(fx.sourceClient, sourceBucket, "grown.bin", grown, 5 * MiB);
    const engine = engineFor(sourceBucket, targetBucket, { partSize: 5 * MiB });
    const listed = { targetKnownStale: true, sourceSize: 1000 };
    expect(
      await engine.replicate({ sourceKey: "grown.bin", targetKey: "grown.bin", ...listed }),
    ).toMatchObject({ status: "copied", evidence: "etag", bytes: grown.length });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "grown.bin"))).toBe(md5Hex(grown));
    expect(await engine.replicate({ sourceKey: "gone.bin", targetKey: "gone.bin", ...listed })).toMatchObject(
      { status: "skipped", reason: "source-missing" },
    );
  });
});

describe("idempotence", () => {
  it("skips a second copy of single-part, own-parts and mirrored sources with only HEAD requests", async () => {
    const { sourceBucket, targetBucket } = await buckets("idempotent");
    await putObject(fx.sourceClient, sourceBucket, "small.bin", bytesOf(1000));
    await putObject(fx.sourceClient, sourceBucket, "split.bin", bytesOf(5 * MiB + 10));
    await putMultipart(fx.sourceClient, sourceBucket, "mirrored.bin", bytesOf(11 * MiB), 5 * MiB);
    const keys = ["small.bin", "split.bin", "mirrored.bin"];

    const engine = engineFor(sourceBucket, targetBucket, { partSize: 5 * MiB });
    for (const key of keys) {
      expect(await engine.replicate({ sourceKey: key, targetKey: key })).toMatchObject({ status: "copied" });
    }
    const before = await Promise.all(keys.map((key) => head(fx.targetClient, targetBucket, key)));

    const sourceCount = countCommands(fx.sourceClient);
    const targetCount = countCommands(fx.targetClient);
    try {
      for (const key of keys) {
        expect(await engine.replicate({ sourceKey: key, targetKey: key })).toMatchObject({
          status: "skipped",
          reason: "same-content",
        });
      }
    } finally {
      sourceCount.stop();
      targetCount.stop();
    }
    // At most two HEAD requests per object, and no data moved.
    expect(sourceCount.counts).toEqual({ HeadObjectCommand: keys.length });
    expect(targetCount.counts).toEqual({ HeadObjectCommand: keys.length });
    const after = await Promise.all(keys.map((key) => head(fx.targetClient, targetBucket, key)));
    expect(after.map((h) => [h.ETag, h.LastModified?.getTime()])).toEqual(
      before.map((h) => [h.ETag, h.LastModified?.getTime()]),
    );

    // The CLI says so too.
    for (const key of keys) {
      const summary = await cliCopy(`s3://${sourceBucket}/${key}`, `s3://${targetBucket}`, [
        "--part-size",
        "5MiB",
      ]);
      expect(summary).toMatchObject({ copied: 0, skipped: 1, failed: 0, bytes: 0 });
    }
  });
});

describe("a source overwritten during a multipart copy", () => {
  async function overwriteDuringCopy(options: {
    label: string;
    write: (bucket: string, key: string, body: Buffer) => Promise<string>;
    size: number;
    concurrency: number;
    /** How the new version is written (default: like the first), and its size (default: the same). */
    replace?: (bucket: string, key: string, body: Buffer) => Promise<string>;
    replacementSize?: number;
  }) {
    const { sourceBucket, targetBucket } = await buckets(options.label);
    const key = "changing.bin";
    const original = bytesOf(options.size);
    const replacement = bytesOf(options.replacementSize ?? options.size);
    const replace = options.replace ?? options.write;
    const originalEtag = await options.write(sourceBucket, key, original);
    let replacementEtag: string | undefined;
    const stored: number[] = [];
    const engine = engineFor(
      sourceBucket,
      targetBucket,
      { partSize: 5 * MiB, concurrency: options.concurrency },
      {
        onPartStored: async (_key: string, partNumber: number) => {
          stored.push(partNumber);
          if (replacementEtag === undefined) {
            replacementEtag = "pending";
            replacementEtag = await replace(sourceBucket, key, replacement);
          }
        },
      },
    );
    const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
    expect(replacementEtag).toMatch(/^[0-9a-f]{32}/);
    expect(replacementEtag).not.toBe(originalEtag);
    return { sourceBucket, targetBucket, key, original, replacement, replacementEtag, outcome, stored };
  }

  it("mirrored layout: the copy starts over on the new version and never mixes the two", async () => {
    const run = await overwriteDuringCopy({
      label: "overwrite-mirrored",
      size: 15 * MiB,
      concurrency: 1,
      write: (bucket, key, body) => putMultipart(fx.sourceClient, bucket, key, body, 5 * MiB),
    });
    expect(run.outcome).toMatchObject({ status: "copied", evidence: "etag", size: 15 * MiB });
    const target = await getBytes(fx.targetClient, run.targetBucket, run.key);
    expect(md5Hex(target)).toBe(md5Hex(run.replacement));
    const targetHead = await head(fx.targetClient, run.targetBucket, run.key);
    expect(targetHead.ETag?.replace(/"/g, "")).toBe(run.replacementEtag);
    expect(targetHead.Metadata?.[SOURCE_ETAG_METADATA_KEY]).toBe(run.replacementEtag);
    expect(await incompleteUploads(fx.targetClient, run.targetBucket)).toEqual([]);
    // Part 1 of the old version was stored, then the whole new version.
    expect(run.stored).toEqual([1, 1, 2, 3]);
  });

  it("own-parts layout: a single-part source replaced after part 1 ends as the new version", async () => {
    const run = await overwriteDuringCopy({
      label: "overwrite-planned",
      size: 11 * MiB,
      concurrency: 1,
      write: (bucket, key, body) => putObject(fx.sourceClient, bucket, key, body),
    });
    expect(run.outcome).toMatchObject({ status: "copied", evidence: "crc32", size: 11 * MiB });
    const target = await getBytes(fx.targetClient, run.targetBucket, run.key);
    expect(md5Hex(target)).toBe(md5Hex(run.replacement));
    const targetHead = await head(fx.targetClient, run.targetBucket, run.key);
    expect(targetHead.ETag).toMatch(/-3"$/);
    expect(targetHead.Metadata?.[SOURCE_ETAG_METADATA_KEY]).toBe(run.replacementEtag);
    expect(await incompleteUploads(fx.targetClient, run.targetBucket)).toEqual([]);
  });

  it("a multipart source replaced by a small single-part object ends as the small object", async () => {
    for (const concurrency of [1, 3]) {
      const run = await overwriteDuringCopy({
        label: `shrink-mirrored-${concurrency}`,
        size: 15 * MiB,
        concurrency,
        write: (bucket, key, body) => putMultipart(fx.sourceClient, bucket, key, body, 5 * MiB),
        replace: (bucket, key, body) => putObject(fx.sourceClient, bucket, key, body),
        replacementSize: 100,
      });
      const targetBytes = await getBytes(fx.targetClient, run.targetBucket, run.key);
      const targetHead = await head(fx.targetClient, run.targetBucket, run.key);
      if (concurrency === 1) {
        expect(run.outcome).toMatchObject({ status: "copied", evidence: "etag", size: 100 });
        expect(targetBytes.equals(run.replacement)).toBe(true);
      } else {
        // All three parts may have been read before the overwrite: then the old version, whole.
        expect(run.outcome).toMatchObject({ status: "copied", evidence: "etag" });
        expect([md5Hex(run.original), md5Hex(run.replacement)]).toContain(md5Hex(targetBytes));
      }
      expect(targetHead.Metadata?.[SOURCE_ETAG_METADATA_KEY]).toBe(targetHead.ETag?.replace(/"/g, ""));
      expect(await incompleteUploads(fx.targetClient, run.targetBucket)).toEqual([]);
    }
  });

  it("a single-part source shrunk below the next part's range ends as the new version", async () => {
    const run = await overwriteDuringCopy({
      label: "shrink-planned",
      size: 11 * MiB,
      concurrency: 1,
      write: (bucket, key, body) => putObject(fx.sourceClient, bucket, key, body),
      replacementSize: 3 * MiB,
    });
    expect(run.outcome).toMatchObject({ status: "copied", evidence: "etag", size: 3 * MiB });
    expect(md5Hex(await getBytes(fx.targetClient, run.targetBucket, run.key))).toBe(md5Hex(run.replacement));
    expect(await incompleteUploads(fx.targetClient, run.targetBucket)).toEqual([]);
  });

  it("a source deleted during the copy leaves nothing on the target", async () => {
    const { sourceBucket, targetBucket } = await buckets("deleted-midway");
    await putMultipart(fx.sourceClient, sourceBucket, "vanishing.bin", bytesOf(15 * MiB), 5 * MiB);
    let deleted = false;
    const engine = engineFor(
      sourceBucket,
      targetBucket,
      { concurrency: 1 },
      {
        onPartStored: async () => {
          if (deleted) return;
          deleted = true;
          await fx.sourceClient.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: "vanishing.bin" }));
        },
      },
    );
    const outcome = await engine.replicate({ sourceKey: "vanishing.bin", targetKey: "vanishing.bin" });
    expect(deleted).toBe(true);
    expect(outcome).toMatchObject({ status: "skipped", reason: "source-missing" });
    expect(await listKeys(fx.targetClient, targetBucket)).toEqual([]);
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });

  it("with several parts in flight, the target holds exactly one whole version", async () => {
    const run = await overwriteDuringCopy({
      label: "overwrite-parallel",
      size: 15 * MiB,
      concurrency: 3,
      write: (bucket, key, body) => putMultipart(fx.sourceClient, bucket, key, body, 5 * MiB),
    });
    expect(run.outcome).toMatchObject({ status: "copied", evidence: "etag" });
    const targetMd5 = md5Hex(await getBytes(fx.targetClient, run.targetBucket, run.key));
    const targetHead = await head(fx.targetClient, run.targetBucket, run.key);
    const targetEtag = targetHead.ETag?.replace(/"/g, "");
    // Parts read before the overwrite may complete the old version; anything else starts over.
    const whole = [md5Hex(run.original), md5Hex(run.replacement)];
    expect(whole).toContain(targetMd5);
    expect(targetHead.Metadata?.[SOURCE_ETAG_METADATA_KEY]).toBe(targetEtag);
    if (targetMd5 === md5Hex(run.replacement)) expect(targetEtag).toBe(run.replacementEtag);
    expect(await incompleteUploads(fx.targetClient, run.targetBucket)).toEqual([]);
  });
});

describe("--json", () => {
  it("prints exactly the README's --json summary for copy and nothing else on stdout", async () => {
    const { sourceBucket, targetBucket } = await buckets("json");
    await putObject(fx.sourceClient, sourceBucket, "a.txt", Buffer.from("hello"));

    const result = await runCli(
      ["copy", `s3://${sourceBucket}/a.txt`, `s3://${targetBucket}/b.txt`, ...fx.profiles.args, "--json"],
      fx.profiles.env,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(TRANSFER_SUMMARY_KEYS);
    expect(summary).toEqual({
      copied: 1,
      skipped: 0,
      deleted: 0,
      failed: 0,
      bytes: 5,
      seconds: expect.any(Number),
      failures: [],
    });
    expect(await listKeys(fx.targetClient, targetBucket)).toEqual(["b.txt"]);

    // A failure fills `failures` and exits 1.
    const failed = await runCli(
      ["copy", `s3://${sourceBucket}/absent.txt`, `s3://${targetBucket}`, ...fx.profiles.args, "--json"],
      fx.profiles.env,
    );
    expect(failed.code).toBe(1);
    const failedSummary = JSON.parse(failed.stdout) as TransferJson;
    expect(Object.keys(failedSummary)).toEqual(TRANSFER_SUMMARY_KEYS);
    expect(failedSummary).toMatchObject({ copied: 0, failed: 1, bytes: 0 });
    expect(failedSummary.failures).toEqual([{ key: "absent.txt", error: expect.any(String) }]);
  });
});
