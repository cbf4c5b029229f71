// Copies reported in sync must be in sync: the promises a hostile overwrite, a server that ignores
// ?partNumber=, a server whose listings never end, and source bytes changed on their way (in parts
// and in one PUT) try to break (issue 11).
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliProfiles,
  type CliResult,
  runCli,
  type TransferJson,
  writeProfiles,
} from "../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { type S3Server, s3ClientFor } from "../support/minio.js";
import { type MotoServer, startMoto } from "../support/moto.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  engineBetween,
  getBytes,
  head,
  incompleteUploads,
  MiB,
  md5Hex,
  putMultipart,
  putObject,
} from "../support/s3-fixtures.js";

const fx = usePartitionPair();

function cli(args: string[]): Promise<CliResult> {
  return runCli([...args, ...fx.profiles.args, "--part-size", "5MiB"], fx.profiles.env);
}

async function json<T>(args: string[]): Promise<{ code: number | null; summary: T }> {
  const result = await cli([...args, "--json"]);
  return { code: result.code, summary: JSON.parse(result.stdout) as T };
}

describe("a target overwritten behind the tool's back", () => {
  it("is different when its ETag is an MD5 of other bytes, even with the source's marker kept", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "foreign-src");
    const targetBucket = await createBucket(fx.targetClient, "foreign-dst");
    const original = bytesOf(4096);
    await putObject(fx.sourceClient, sourceBucket, "docs/report.pdf", original, {
      ContentType: "application/pdf",
    });
    await putObject(fx.sourceClient, sourceBucket, "docs/same.txt", bytesOf(10));
    const src = `s3://${sourceBucket}/docs`;
    const dst = `s3://${targetBucket}/docs`;
    expect((await json<TransferJson>(["sync", src, dst])).summary).toMatchObject({ copied: 2, failed: 0 });

    // Same size, other bytes, the copy's metadata (our marker included) kept as it was.
    const copied = await head(fx.targetClient, targetBucket, "docs/report.pdf");
    const foreign = Buffer.from(original);
    foreign[0] = (foreign[0] ?? 0) ^ 0xff;
    await putObject(fx.targetClient, targetBucket, "docs/report.pdf", foreign, {
      ContentType: copied.ContentType,
      Metadata: copied.Metadata,
    });

    const verify = await json<{ inSync: boolean; different: string[]; same: number }>(["verify", src, dst]);
    expect(verify.code).toBe(1);
    expect(verify.summary).toMatchObject({ inSync: false, different: ["docs/report.pdf"], same: 1 });

    const sync = await json<TransferJson>(["sync", src, dst]);
    expect(sync.summary).toMatchObject({ copied: 1, skipped: 1, failed: 0 });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "docs/report.pdf"))).toBe(md5Hex(original));
    expect((await json(["verify", src, dst])).code).toBe(0);

    // copy (one HEAD of each side decides) recopies it too.
    await putObject(fx.targetClient, targetBucket, "docs/report.pdf", foreign, { Metadata: copied.Metadata });
    const copy = await json<TransferJson>(["copy", `${src}/report.pdf`, `${dst}/report.pdf`]);
    expect(copy.summary).toMatchObject({ copied: 1, failed: 0 });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "docs/report.pdf"))).toBe(md5Hex(original));
  });
});

describe("a source that ignores ?partNumber= (moto 5.2)", () => {
  let moto: MotoServer;
  let motoClient: S3Client;
  let profiles: CliProfiles;

  beforeAll(async () => {
    moto = await startMoto();
    const credentials = { accessKeyId: "moto-testing", secretAccessKey: "moto-testing" };
    motoClient = new S3Client({
      endpoint: moto.endpoint,
      region: moto.region,
      forcePathStyle: true,
      credentials,
    });
    const asServer: S3Server = {
      endpoint: moto.endpoint,
      region: moto.region,
      dataDir: "",
      stop: moto.stop,
      ...credentials,
    };
    profiles = await writeProfiles(asServer, fx.target);
  });

  afterAll(async () => {
    await profiles?.cleanup();
    motoClient?.destroy();
    await moto?.stop();
  });

  it("is copied by byte ranges with the same part boundaries, proven by the target's ETag", async () => {
    const sourceBucket = await createBucket(motoClient, "moto-src");
    const targetBucket = await createBucket(fx.targetClient, "moto-dst");
    const body = bytesOf(11 * MiB + 123);
    const etag = await putMultipart(motoClient, sourceBucket, "video/clip.mp4", body, 5 * MiB);
    expect(etag).toMatch(/-3$/);

    const result = await runCli(
      [
        "copy",
        `s3://${sourceBucket}/video/clip.mp4`,
        `s3://${targetBucket}/video/clip.mp4`,
        "--json",
        ...profiles.args,
      ],
      profiles.env,
    );
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({ copied: 1, failed: 0, bytes: body.length });
    expect((await head(fx.targetClient, targetBucket, "video/clip.mp4")).ETag).toBe(`"${etag}"`);
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "video/clip.mp4"))).toBe(md5Hex(body));

    // The outcome says how it was read; the next copy of this engine reads by ranges from the start.
    const engine = engineBetween(
      { client: motoClient, bucket: sourceBucket },
      { client: fx.targetClient, bucket: targetBucket },
    );
    await putMultipart(motoClient, sourceBucket, "video/second.mp4", bytesOf(10 * MiB + 1), 5 * MiB);
    for (const key of ["video/clip.mp4", "video/second.mp4"]) {
      const outcome = await engine.replicate({
        sourceKey: key,
        targetKey: `again/${key}`,
        targetKnownStale: true,
      });
      expect(outcome).toMatchObject({
        status: "copied",
        evidence: "etag",
        evidenceNote: "the source ignores ?partNumber=: its parts were read as byte ranges",
      });
    }
  });
});

describe("verify, when one key cannot be read", () => {
  let proxy: FaultProxy | undefined;
  afterAll(async () => proxy?.close());

  it("lists that key under errors with the side and the status, compares the rest, and exits 1", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "unreadable-src");
    const targetBucket = await createBucket(fx.targetClient, "unreadable-dst");
    // 6 MiB in parts of 5: the target's ETag is composite, so verify HEADs it to read the marker.
    await putObject(fx.sourceClient, sourceBucket, "a/big.bin", bytesOf(6 * MiB));
    await putObject(fx.sourceClient, sourceBucket, "a/small.txt", bytesOf(10));
    await json(["sync", `s3://${sourceBucket}/a`, `s3://${targetBucket}/a`]);

    proxy = await startFaultProxy({
      upstream: fx.target.endpoint,
      rates: { slowDown: 1 },
      eligible: ({ operation, url }) => operation === "HeadObject" && url.includes("big.bin"),
    });
    const args = [
      "verify",
      `s3://${sourceBucket}/a`,
      `s3://${targetBucket}/a`,
      "--target-endpoint",
      proxy.endpoint,
    ];
    const result = await cli([...args, "--json", "--retries", "1"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      inSync: false,
      same: 1,
      missing: [],
      different: [],
      extra: [],
      errors: [{ key: "a/big.bin", error: "target answered HTTP 503" }],
    });
    expect(result.stderr).toContain("s3xsync: could not compare: a/big.bin: target answered HTTP 503");
    expect(result.stderr).not.toMatch(/Unknown/);

    const text = await cli([...args, "--retries", "1"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("not in sync: 1 same, 0 missing, 0 different, 0 extra, 1 not compared");
  });
});

describe("a single-part source copied in parts", () => {
  let proxy: FaultProxy | undefined;
  afterAll(async () => proxy?.close());

  // The SDK stores a CRC32 with what it uploads unless told to only when required (as s3xsync is).
  const sources = [
    {
      stored: "a full-object CRC32",
      checksums: "WHEN_SUPPORTED",
      proof: "its parts' CRC32s combined",
      evidence: "crc32",
      mismatch: /CRC32 of the bytes read differs from the source's full-object CRC32/,
    },
    {
      stored: "no checksum",
      checksums: "WHEN_REQUIRED",
      proof: "the MD5 of its bytes in order",
      evidence: "md5",
      mismatch: /MD5 of the bytes read differs from the source's ETag/,
    },
  ] as const;

  for (const { stored, checksums, proof, evidence, mismatch } of sources) {
    it(`with ${stored}: proven by ${proof}; bytes changed on their way fail the copy`, async () => {
      const sourceBucket = await createBucket(fx.sourceClient, `whole-${evidence}-src`);
      const targetBucket = await createBucket(fx.targetClient, `whole-${evidence}-dst`);
      const body = bytesOf(12 * MiB + 7);
      const uploader = s3ClientFor(fx.source, { requestChecksumCalculation: checksums });
      await putObject(uploader, sourceBucket, "data/one.bin", body);
      uploader.destroy();
      const source = { client: fx.sourceClient, bucket: sourceBucket };
      const target = { client: fx.targetClient, bucket: targetBucket };

      const outcome = await engineBetween(source, target).replicate({
        sourceKey: "data/one.bin",
        targetKey: "one.bin",
      });
      expect(outcome).toMatchObject({ status: "copied", evidence, size: body.length });
      expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "one.bin"))).toBe(md5Hex(body));

      // One byte of every GET flipped: each part carries the CRC32 of what arrived, so the target
      // stores it gladly; only the whole object's check can tell.
      proxy = await startFaultProxy({
        upstream: fx.source.endpoint,
        rates: { corrupt: 1 },
        eligible: ({ operation }) => operation === "GetObject",
      });
      const corrupted = s3ClientFor({ ...fx.source, endpoint: proxy.endpoint });
      const failed = await engineBetween({ client: corrupted, bucket: sourceBucket }, target, {
        attempts: 1,
      }).replicate({ sourceKey: "data/one.bin", targetKey: "corrupted.bin" });
      corrupted.destroy();
      await proxy.close();
      proxy = undefined;
      expect(failed).toMatchObject({ status: "failed" });
      expect(failed.status === "failed" && failed.error).toMatch(mismatch);
      await expect(head(fx.targetClient, targetBucket, "corrupted.bin")).rejects.toThrow();
      expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
    });
  }
});

describe("a single-part source copied in one PUT", () => {
  it("is proven by the target's ETag; bytes changed on their way are refused by the target, and nothing is left", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "one-put-src");
    const targetBucket = await createBucket(fx.targetClient, "one-put-dst");
    const body = bytesOf(3 * MiB + 5);
    // Stored with no CRC32, which the SDK would check on every GET and so catch a changed byte first.
    const uploader = s3ClientFor(fx.source, { requestChecksumCalculation: "WHEN_REQUIRED" });
    await putObject(uploader, sourceBucket, "one.bin", body);
    uploader.destroy();
    const target = { client: fx.targetClient, bucket: targetBucket };
    const copied = await engineBetween({ client: fx.sourceClient, bucket: sourceBucket }, target).replicate({
      sourceKey: "one.bin",
      targetKey: "one.bin",
    });
    expect(copied).toMatchObject({ status: "copied", evidence: "etag", size: body.length });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "one.bin"))).toBe(md5Hex(body));

    // No MD5 of the bytes read is taken: the source's, sent as Content-MD5, is what the target checks.
    const proxy = await startFaultProxy({
      upstream: fx.source.endpoint,
      rates: { corrupt: 1 },
      eligible: ({ operation }) => operation === "GetObject",
    });
    const corrupted = s3ClientFor({ ...fx.source, endpoint: proxy.endpoint });
    try {
      const failed = await engineBetween({ client: corrupted, bucket: sourceBucket }, target, {
        attempts: 1,
      }).replicate({ sourceKey: "one.bin", targetKey: "corrupted.bin" });
      expect(failed).toMatchObject({ status: "failed" });
      expect(failed.status === "failed" && failed.error).toMatch(/BadDigest/);
    } finally {
      corrupted.destroy();
      await proxy.close();
    }
    await expect(head(fx.targetClient, targetBucket, "corrupted.bin")).rejects.toThrow();
  });
});
