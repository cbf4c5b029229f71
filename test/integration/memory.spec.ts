// Constant memory is a property of the design: copying a 1 GiB object at default settings keeps the
// CLI's peak RSS under 200 MiB, for a multipart source (streamed part by part) and for a single-part
// source (cut into parts whose bytes wait only until they can be hashed in order). Time is not checked.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { collect, spawnCli } from "../support/cli.js";
import { digestObject, MiB, putStreamed, uploadMultipart } from "../support/generated-objects.js";
import { usePartitionPair } from "../support/partition-pair.js";

const SRC = "cn-memory-src";
const DST = "global-memory-dst";
const GiB = 1024 * MiB;
const PEAK_RSS_LIMIT = 200 * MiB;

/** Peak RSS (VmHWM) of a running process in bytes, or undefined once it is gone. */
function peakRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the CLI to its end while sampling its peak RSS every 100 ms. */
async function copyMeasuringRss(args: string[], env: Record<string, string>) {
  const child = spawnCli(args, env);
  const pid = child.pid;
  if (pid === undefined) throw new Error("the CLI did not start");
  let peak = 0;
  let samples = 0;
  const sample = () => {
    const value = peakRss(pid);
    if (value !== undefined) {
      peak = Math.max(peak, value);
      samples++;
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  try {
    const result = await collect(child);
    return { result, peak, samples };
  } finally {
    clearInterval(timer);
  }
}

describe("peak memory of a 1 GiB copy at default settings", () => {
  const pair = usePartitionPair({ sourceBuckets: [SRC], targetBuckets: [DST] });

  async function copyAndMeasure(key: string, label: string) {
    // Its own temp directory: parts the ordered digest keeps on disk must all be gone at the end.
    const spillDir = mkdtempSync(join(tmpdir(), "s3xsync-memory-tmp-"));
    const { result, peak, samples } = await copyMeasuringRss(
      ["copy", `s3://${SRC}/${key}`, `s3://${DST}/${key}`, ...pair.profiles.args, "--json"],
      { ...pair.profiles.env, TMPDIR: spillDir },
    );
    const leftInTmp = readdirSync(spillDir);
    rmSync(spillDir, { recursive: true, force: true });
    expect(leftInTmp).toEqual([]);
    console.log(
      `${label}: peak RSS of s3xsync copy ${(peak / MiB).toFixed(1)} MiB (${samples} samples of VmHWM)`,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ copied: 1, failed: 0, bytes: GiB });
    expect(samples).toBeGreaterThan(0);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(PEAK_RSS_LIMIT);
    const uploads = await pair.targetClient.send(new ListMultipartUploadsCommand({ Bucket: DST }));
    expect(uploads.Uploads ?? []).toEqual([]);
  }

  async function remove(key: string) {
    await pair.sourceClient.send(new DeleteObjectCommand({ Bucket: SRC, Key: key }));
    await pair.targetClient.send(new DeleteObjectCommand({ Bucket: DST, Key: key }));
  }

  it("multipart source in 8 MiB parts (mirrored layout)", { timeout: 300_000 }, async () => {
    const key = "memory/multipart-1GiB.bin";
    try {
      const source = await uploadMultipart(pair.sourceClient, SRC, key, {
        size: GiB,
        partSize: 8 * MiB,
        seed: "memory-multipart",
      });
      expect(source.etag).toMatch(/-128$/);
      await copyAndMeasure(key, "1 GiB multipart source");
      const head = await pair.targetClient.send(new HeadObjectCommand({ Bucket: DST, Key: key }));
      expect(head.ETag?.replace(/"/g, "")).toBe(source.etag);
      expect(head.ContentLength).toBe(GiB);
    } finally {
      await remove(key);
    }
  });

  it("single-part source (planned layout, parts hashed in order)", { timeout: 300_000 }, async () => {
    const key = "memory/single-part-1GiB.bin";
    try {
      const source = await putStreamed(pair.sourceClient, SRC, key, { size: GiB, seed: "memory-single" });
      expect(source.etag).toBe(source.md5Hex);
      await copyAndMeasure(key, "1 GiB single-part source");
      const head = await pair.targetClient.send(new HeadObjectCommand({ Bucket: DST, Key: key }));
      expect(head.ETag?.replace(/"/g, "")).toMatch(/-128$/);
      expect(head.ContentLength).toBe(GiB);
      expect(await digestObject(pair.targetClient, DST, key)).toEqual({ md5Hex: source.md5Hex, size: GiB });
    } finally {
      await remove(key);
    }
  });
});
