// kill -9 during a multipart copy, then the same copy again: it resumes the interrupted upload,
// re-sends at most the parts that were in flight, ends with the source's exact bytes and leaves no
// incomplete upload behind.
import { setTimeout as sleep } from "node:timers/promises";
import { CreateMultipartUploadCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { collect, runCli, spawnCli, type TransferJson } from "../support/cli.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import {
  digestObject,
  MiB,
  partsOf,
  putStreamed,
  type Uploaded,
  uploadMultipart,
  uploadsOf,
} from "../support/generated-objects.js";
import { s3ClientFor } from "../support/minio.js";
import { usePartitionPair } from "../support/partition-pair.js";

const SRC = "cn-resume-src";
const DST = "global-resume-dst";

describe("resume after kill -9 during a multipart copy", () => {
  const pair = usePartitionPair({ sourceBuckets: [SRC], targetBuckets: [DST] });

  const copyArgs = (sourceKey: string, targetKey: string, extra: string[]) => [
    "copy",
    `s3://${SRC}/${sourceKey}`,
    `s3://${DST}/${targetKey}`,
    ...pair.profiles.args,
    "--quiet",
    ...extra,
  ];

  /**
   * Starts the copy, waits until the target's upload holds at least `minParts` parts, kills the
   * CLI with SIGKILL, lets in-flight requests settle and returns what the upload holds then.
   */
  async function killMidCopy(
    sourceKey: string,
    targetKey: string,
    extra: string[],
    totalParts: number,
    minParts = 3,
  ): Promise<{ uploadId: string; parts: Map<number, number> }> {
    const child = spawnCli(copyArgs(sourceKey, targetKey, extra), pair.profiles.env);
    const finished = collect(child);
    let exited = false;
    void finished.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 60_000;
    let seen = 0;
    for (;;) {
      if (exited) {
        const result = await finished;
        throw new Error(
          `the copy ended (code ${result.code}) before it could be killed after ${minParts} parts ` +
            `(last seen ${seen}); stderr: ${result.stderr}`,
        );
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`no ${minParts} parts stored within 60 s (last seen ${seen})`);
      }
      const [uploadId] = await uploadsOf(pair.targetClient, DST, targetKey);
      if (uploadId) {
        seen = (await partsOf(pair.targetClient, DST, targetKey, uploadId)).size;
        if (seen >= minParts) break;
      }
      await sleep(15);
    }
    child.kill("SIGKILL");
    const killed = await finished;
    expect(killed.signal).toBe("SIGKILL");
    // Requests whose bytes had all arrived may still complete on the server.
    await sleep(1_000);
    const uploads = await uploadsOf(pair.targetClient, DST, targetKey);
    expect(uploads).toHaveLength(1);
    const uploadId = uploads[0] as string;
    const parts = await partsOf(pair.targetClient, DST, targetKey, uploadId);
    expect(parts.size).toBeGreaterThanOrEqual(minParts);
    expect(parts.size).toBeLessThan(totalParts);
    return { uploadId, parts };
  }

  async function resume(sourceKey: string, targetKey: string, extra: string[]): Promise<TransferJson> {
    const result = await runCli([...copyArgs(sourceKey, targetKey, extra), "--json"], pair.profiles.env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as TransferJson;
    expect(summary).toMatchObject({ copied: 1, skipped: 0, failed: 0, failures: [] });
    return summary;
  }

  const sum = (parts: Map<number, number>) => [...parts.values()].reduce((a, b) => a + b, 0);

  describe("multipart source (mirrored layout)", () => {
    const key = "mirrored/160MiB.bin";
    const partSize = 8 * MiB;
    const partCount = 20;
    let uploaded: Uploaded;

    beforeAll(async () => {
      uploaded = await uploadMultipart(pair.sourceClient, SRC, key, {
        size: partCount * partSize,
        partSize,
        seed: "resume-mirrored",
      });
      expect(uploaded.etag).toMatch(/-20$/);
    });

    async function expectSameObject(targetKey: string) {
      const head = await pair.targetClient.send(new HeadObjectCommand({ Bucket: DST, Key: targetKey }));
      expect(head.ETag?.replace(/"/g, "")).toBe(uploaded.etag);
      expect(head.ContentLength).toBe(uploaded.size);
      expect(await digestObject(pair.targetClient, DST, targetKey)).toEqual({
        md5Hex: uploaded.md5Hex,
        size: uploaded.size,
      });
      expect(await uploadsOf(pair.targetClient, DST, targetKey)).toEqual([]);
    }

    it("re-sends at most the parts in flight at the kill", async () => {
      const targetKey = "mirrored/plain.bin";
      const opts = ["--concurrency", "2"];
      const { parts } = await killMidCopy(key, targetKey, opts, partCount);
      for (const size of parts.values()) expect(size).toBe(partSize);

      const summary = await resume(key, targetKey, opts);
      console.log(
        `mirrored resume: ${parts.size}/${partCount} parts (${sum(parts)} B) stored after the kill; ` +
          `re-sent ${summary.bytes} B of ${uploaded.size} B`,
      );
      expect(summary.bytes).toBeLessThanOrEqual(uploaded.size - sum(parts));
      await expectSameObject(targetKey);
    });

    it("resumes the interrupted upload and aborts a second, newer incomplete upload of the key", async () => {
      const targetKey = "mirrored/two-uploads.bin";
      const opts = ["--concurrency", "2"];
      const { uploadId, parts } = await killMidCopy(key, targetKey, opts, partCount);
      // A second incomplete upload of the same key, started after the interrupted one.
      await sleep(1_100); // a later Initiated second than the interrupted upload
      const extra = await pair.targetClient.send(
        new CreateMultipartUploadCommand({ Bucket: DST, Key: targetKey }),
      );
      expect((await uploadsOf(pair.targetClient, DST, targetKey)).sort()).toEqual(
        [uploadId, extra.UploadId as string].sort(),
      );

      const summary = await resume(key, targetKey, opts);
      console.log(
        `mirrored resume beside a newer empty upload: ${parts.size}/${partCount} parts (${sum(parts)} B) ` +
          `stored after the kill; re-sent ${summary.bytes} B of ${uploaded.size} B`,
      );
      expect(summary.bytes).toBeLessThanOrEqual(uploaded.size - sum(parts));
      await expectSameObject(targetKey);
    });
  });

  describe("single-part source cut into parts (planned layout)", () => {
    const size = 100 * MiB;
    const partSize = 5 * MiB;
    const partCount = 20;
    // With the CRC32 the SDK stores by default, the stored parts' CRC32s go into the whole
    // object's proof unread; without it, the ordered MD5 reads each stored part again.
    const sources = [
      { stored: "a full-object CRC32", checksums: "WHEN_SUPPORTED", rereads: false },
      { stored: "no checksum", checksums: "WHEN_REQUIRED", rereads: true },
    ] as const;

    for (const { stored, checksums, rereads } of sources) {
      it(`with ${stored}: ${rereads ? "re-reads" : "keeps"} the stored parts instead of sending them, and completes with the same bytes`, async () => {
        const key = `planned/${checksums}/100MiB.bin`;
        const uploader = s3ClientFor(pair.source, { requestChecksumCalculation: checksums });
        const uploaded = await putStreamed(uploader, SRC, key, { size, seed: "resume-planned" });
        uploader.destroy();
        expect(uploaded.etag).toBe(uploaded.md5Hex);
        const targetKey = `planned/${checksums}/plain.bin`;
        const opts = ["--concurrency", "2", "--part-size", "5MiB"];
        const { parts } = await killMidCopy(key, targetKey, opts, partCount, 6);
        for (const size of parts.values()) expect(size).toBe(partSize);

        const counter = await startFaultProxy({ upstream: pair.source.endpoint });
        const summary = await resume(key, targetKey, [...opts, "--source-endpoint", counter.endpoint]);
        const reads = counter.stats().operations.GetObject ?? 0;
        await counter.close();
        console.log(
          `planned resume, ${stored}: ${parts.size}/${partCount} parts (${sum(parts)} B) stored after ` +
            `the kill; re-sent ${summary.bytes} B of ${size} B; ${reads} parts read`,
        );
        expect(summary.bytes).toBeLessThanOrEqual(size - sum(parts));
        // A hedge of a slow part at the tail reads it twice; at least 6 parts were stored.
        expect(reads).toBeGreaterThanOrEqual(rereads ? partCount : partCount - parts.size);
        if (!rereads) expect(reads).toBeLessThan(partCount);

        const head = await pair.targetClient.send(new HeadObjectCommand({ Bucket: DST, Key: targetKey }));
        expect(head.ETag?.replace(/"/g, "")).toMatch(/-20$/);
        expect(head.ContentLength).toBe(size);
        expect(await digestObject(pair.targetClient, DST, targetKey)).toEqual({
          md5Hex: uploaded.etag,
          size,
        });
        expect(await uploadsOf(pair.targetClient, DST, targetKey)).toEqual([]);
      });
    }
  });

  describe("source overwritten between the kill and the resume", () => {
    const oldAttributes = { ContentType: "application/x-old", Metadata: { version: "old" } };
    const newAttributes = { ContentType: "application/x-new", Metadata: { version: "new" } };

    /** The target holds the new version's headers, and the tool's marker names the new version. */
    async function expectNewVersionHeaders(key: string, sourceEtag: string) {
      const head = await pair.targetClient.send(new HeadObjectCommand({ Bucket: DST, Key: key }));
      expect(head.ContentType).toBe(newAttributes.ContentType);
      expect(head.Metadata).toEqual({ version: "new", "s3xsync-source-etag": sourceEtag });
      return head;
    }

    it("multipart source with other bytes: the old version's upload is not completed", async () => {
      const key = "overwritten/mirrored.bin";
      const partSize = 5 * MiB;
      const partCount = 20;
      const size = partCount * partSize;
      await uploadMultipart(pair.sourceClient, SRC, key, {
        size,
        partSize,
        seed: "old-mirrored",
        attributes: oldAttributes,
      });
      const opts = ["--concurrency", "2"];
      await killMidCopy(key, key, opts, partCount);
      await sleep(1_100); // the new version is written in a later second than the copy began
      // Same size and layout, other bytes and headers.
      const fresh = await uploadMultipart(pair.sourceClient, SRC, key, {
        size,
        partSize,
        seed: "new-mirrored",
        attributes: newAttributes,
      });

      const summary = await resume(key, key, opts);
      console.log(`mirrored resume after an overwrite: re-sent ${summary.bytes} B of ${size} B`);
      expect(summary.bytes).toBe(size);
      const head = await expectNewVersionHeaders(key, fresh.etag);
      expect(head.ETag?.replace(/"/g, "")).toBe(fresh.etag);
      expect(await digestObject(pair.targetClient, DST, key)).toEqual({ md5Hex: fresh.md5Hex, size });
      expect(await uploadsOf(pair.targetClient, DST, key)).toEqual([]);
    });

    it("single-part source rewritten with the same bytes and new headers: the new headers win", async () => {
      const key = "overwritten/planned.bin";
      const size = 100 * MiB;
      await putStreamed(pair.sourceClient, SRC, key, {
        size,
        seed: "same-planned",
        attributes: oldAttributes,
      });
      const opts = ["--concurrency", "2", "--part-size", "5MiB"];
      await killMidCopy(key, key, opts, 20);
      await sleep(1_100);
      // The bytes (and so the ETag) stay; only the headers change.
      const fresh = await putStreamed(pair.sourceClient, SRC, key, {
        size,
        seed: "same-planned",
        attributes: newAttributes,
      });

      const summary = await resume(key, key, opts);
      console.log(`planned resume after a rewrite with new headers: re-sent ${summary.bytes} B of ${size} B`);
      await expectNewVersionHeaders(key, fresh.etag);
      expect(summary.bytes).toBe(size);
      expect(await digestObject(pair.targetClient, DST, key)).toEqual({ md5Hex: fresh.etag, size });
      expect(await uploadsOf(pair.targetClient, DST, key)).toEqual([]);
    });
  });
});
