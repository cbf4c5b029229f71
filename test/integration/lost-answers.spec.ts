// Answers the target sends but the engine never gets (the connection reset after the server has done
// the work, as on a lossy link): the SDK asks again, and the copy must still end as the target holds
// it, with no multipart upload left behind. A fault proxy in front of the target loses the chosen
// answers; one in front of the source cuts an answer whose body nobody reads yet.
import { CreateMultipartUploadCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineHooks, Evidence } from "../../src/engine/index.js";
import { openSource } from "../../src/engine/source-state.js";
import {
  type FaultProxy,
  type FaultRates,
  type S3Operation,
  startFaultProxy,
} from "../support/fault-proxy.js";
import { s3ClientFor } from "../support/minio.js";
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
let proxy: FaultProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** A proxy in front of the target that faults requests of `operation` only, at `rates`. */
function faultTarget(operation: S3Operation, rates: FaultRates, onlyFirst: boolean): Promise<FaultProxy> {
  let faulted = false;
  return startFaultProxy({
    upstream: fx.target.endpoint,
    rates,
    // With this seed the first reset falls on the answer, not on the request's body.
    seed: 3,
    eligible: (request) => {
      if (request.operation !== operation || (onlyFirst && faulted)) return false;
      faulted = true;
      return true;
    },
  });
}

/**
 * Resets the connection once the server's answer to the first request of `operation` has begun: the
 * server has done the work, the client learns nothing and the SDK sends the request again.
 */
function loseFirstAnswerTo(operation: S3Operation): Promise<FaultProxy> {
  return faultTarget(operation, { reset: 1 }, true);
}

/** The one fault injected was a lost answer to `operation`. */
function expectOneLostAnswer(proxy: FaultProxy, operation: S3Operation) {
  expect(proxy.stats().recent).toMatchObject([{ kind: "reset", operation, where: "response" }]);
}

/** An engine whose target requests go through `proxy`. */
function engineThrough(proxy: FaultProxy, sourceBucket: string, targetBucket: string, hooks?: EngineHooks) {
  return engineBetween(
    { client: fx.sourceClient, bucket: sourceBucket },
    { client: s3ClientFor({ ...fx.target, endpoint: proxy.endpoint }), bucket: targetBucket },
    {},
    hooks,
  );
}

/** The target key holds `body` (compared by MD5: a deep comparison of MiBs takes minutes). */
async function expectBytes(bucket: string, key: string, body: Buffer) {
  expect(md5Hex(await getBytes(fx.targetClient, bucket, key))).toBe(md5Hex(body));
}

async function buckets(label: string) {
  return {
    sourceBucket: await createBucket(fx.sourceClient, label),
    targetBucket: await createBucket(fx.targetClient, label),
  };
}

interface Source {
  layout: string;
  put: (bucket: string, key: string, body: Buffer) => Promise<string>;
  evidence: Evidence;
}

/** Sources of 11 MiB, copied in parts of 5 MiB (the test engine's part size) either way. */
const SOURCES: Source[] = [
  {
    layout: "multipart source (mirrored layout)",
    put: (bucket, key, body) => putMultipart(fx.sourceClient, bucket, key, body, 5 * MiB),
    evidence: "etag",
  },
  {
    layout: "single-part source (planned layout)",
    put: (bucket, key, body) => putObject(fx.sourceClient, bucket, key, body),
    evidence: "crc32",
  },
];

/** Copies 11 MiB from `source` through a proxy that loses the first answer to `operation`. */
async function copyLosingFirstAnswerTo(operation: S3Operation, source: Source) {
  const { sourceBucket, targetBucket } = await buckets("lost-answer");
  const key = "lost/answer.bin";
  const body = bytesOf(11 * MiB);
  await source.put(sourceBucket, key, body);
  proxy = await loseFirstAnswerTo(operation);
  const engine = engineThrough(proxy, sourceBucket, targetBucket);
  const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
  expectOneLostAnswer(proxy, operation);
  return { outcome, key, targetBucket, body };
}

/** Reported copied, the target holds the source's bytes, and no upload is left behind. */
async function expectCopied(copy: Awaited<ReturnType<typeof copyLosingFirstAnswerTo>>, evidence: Evidence) {
  expect(copy.outcome).toMatchObject({ status: "copied", key: copy.key, evidence });
  await expectBytes(copy.targetBucket, copy.key, copy.body);
  expect(await incompleteUploads(fx.targetClient, copy.targetBucket)).toEqual([]);
}

describe("the answer to CompleteMultipartUpload is lost", () => {
  for (const source of SOURCES) {
    it(`${source.layout}: the copy is reported copied, as the target holds it`, async () => {
      const copy = await copyLosingFirstAnswerTo("CompleteMultipartUpload", source);
      await expectCopied(copy, source.evidence);
    });
  }

  it("a completion that did fail is still reported failed, with its own error", async () => {
    const { sourceBucket, targetBucket } = await buckets("failed-complete");
    const key = "failed/complete.bin";
    const body = bytesOf(11 * MiB);
    await putMultipart(fx.sourceClient, sourceBucket, key, body, 5 * MiB);
    const older = bytesOf(1000);
    const olderEtag = await putObject(fx.targetClient, targetBucket, key, older);
    proxy = await faultTarget("CompleteMultipartUpload", { internalError: 1 }, false);

    const engine = engineThrough(proxy, sourceBucket, targetBucket);
    const outcome = await engine.replicate({ sourceKey: key, targetKey: key });

    expect(outcome).toMatchObject({ status: "failed", key, errorName: "InternalError", httpStatus: 500 });
    expect((await head(fx.targetClient, targetBucket, key)).ETag).toBe(`"${olderEtag}"`);
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });
});

describe("the answer to an UploadPart is lost", () => {
  for (const source of SOURCES) {
    it(`${source.layout}: the part is sent again, and progress counts its bytes once`, async () => {
      const { sourceBucket, targetBucket } = await buckets("lost-part");
      const key = "lost/part.bin";
      const body = bytesOf(11 * MiB);
      await source.put(sourceBucket, key, body);
      proxy = await loseFirstAnswerTo("UploadPart");
      let progressed = 0;
      const engine = engineThrough(proxy, sourceBucket, targetBucket, {
        onProgress: ({ bytes }) => {
          progressed += bytes;
        },
      });
      const outcome = await engine.replicate({ sourceKey: key, targetKey: key });
      expectOneLostAnswer(proxy, "UploadPart");
      await expectCopied({ outcome, key, targetBucket, body }, source.evidence);
      expect(proxy.stats().operations.UploadPart).toBe(4);
      expect(progressed).toBe(body.length);
    });
  }
});

describe("the answer to CreateMultipartUpload is lost", () => {
  for (const source of SOURCES) {
    it(`${source.layout}: the upload the SDK's first attempt started is aborted`, async () => {
      const copy = await copyLosingFirstAnswerTo("CreateMultipartUpload", source);
      expect(proxy?.stats().operations.CreateMultipartUpload).toBe(2);
      await expectCopied(copy, source.evidence);
    });
  }

  it("an upload another writer of the key starts during the copy is left alone", async () => {
    const { sourceBucket, targetBucket } = await buckets("lost-create-beside");
    const key = "lost/create-beside-another.bin";
    const body = bytesOf(11 * MiB);
    await putMultipart(fx.sourceClient, sourceBucket, key, body, 5 * MiB);
    proxy = await loseFirstAnswerTo("CreateMultipartUpload");
    let other: string | undefined;
    const startOther = async (_key: string, partNumber: number) => {
      if (partNumber !== 1) return;
      // A later second than the copy's own upload, by the server's whole-second clock too.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const started = await fx.targetClient.send(
        new CreateMultipartUploadCommand({ Bucket: targetBucket, Key: key }),
      );
      other = started.UploadId;
    };

    const engine = engineThrough(proxy, sourceBucket, targetBucket, { onPartStored: startOther });
    const outcome = await engine.replicate({ sourceKey: key, targetKey: key });

    expectOneLostAnswer(proxy, "CreateMultipartUpload");
    expect(outcome).toMatchObject({ status: "copied", key });
    await expectBytes(targetBucket, key, body);
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([`${key} ${other}`]);
  });
});

describe("a source answer cut off while its body waits to be read", () => {
  it("fails the read that takes it, not the process", async () => {
    const bucket = await createBucket(fx.sourceClient, "cut-waiting-src");
    // Stored with the SDK's default CRC32, so the SDK wraps the body in a stream that checks it.
    await putObject(fx.sourceClient, bucket, "one.bin", bytesOf(256 * 1024));
    proxy = await startFaultProxy({
      upstream: fx.source.endpoint,
      rates: { reset: 1 },
      eligible: ({ operation }) => operation === "GetObject",
    });
    const client = s3ClientFor({ ...fx.source, endpoint: proxy.endpoint });
    try {
      const opened = await openSource({ client, bucket }, "one.bin");
      // A small object's body is opened before its copy gets a slot, and may wait there.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(
        (async () => {
          for await (const _ of opened?.body ?? []);
        })(),
      ).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });
});
