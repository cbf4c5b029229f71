// npm run test:crash (not part of npm test): `s3xsync copy` of a 1 GiB object killed with SIGKILL at
// five random moments, started again after each kill, then left to finish. Each crash may cost at
// most the parts in flight; the copy ends byte-identical with no multipart upload left.
// Two source layouts: uploaded in 8 MiB parts (the target mirrors the parts, proven by ETag), and
// uploaded in one piece (the engine cuts it into parts; the stored parts' CRC32s go into the
// source's full-object CRC32, which the SDK stored with it, so they are not read again).
//
// RELIABILITY_SCALE=small: a 128 MiB object, results in .cache/reliability-small/.
// CRASH_LAYOUTS=mirrored|planned|mirrored,planned (default both). CRASH_SEED=...: the kill points.
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CrashLayoutResult,
  type CrashResult,
  type CrashRun,
  reliabilityPaths,
  writeReliabilityDoc,
  writeResult,
} from "../../bench/reliability-report.js";
import { collect } from "../support/cli.js";
import { cliDescription, cliOverride, spawnCliUnderTest } from "../support/cli-under-test.js";
import { type FaultProxy, seededRandom, startFaultProxy } from "../support/fault-proxy.js";
import {
  digestObject,
  MiB,
  partsOf,
  putStreamed,
  type Uploaded,
  uploadMultipart,
  uploadsOf,
} from "../support/generated-objects.js";
import { usePartitionPair } from "../support/partition-pair.js";
import { incompleteUploads, listKeys } from "../support/s3-fixtures.js";

const small = process.env.RELIABILITY_SCALE === "small";
const SEED = process.env.CRASH_SEED ?? randomBytes(4).toString("hex");
const LAYOUTS = (process.env.CRASH_LAYOUTS ?? "mirrored,planned").split(",").map((s) => s.trim());
const OBJECT_SIZE = small ? 128 * MiB : 1024 * MiB;
const SOURCE_PART_SIZE = 8 * MiB;
/**
 * Parts in flight, fixed with --concurrency so that a kill has a known bound (at the defaults the
 * limit adapts between 2 and 64, src/cli/cli-config.ts), and the part size of single-part sources.
 */
const CONCURRENCY = 8;
/** Hedges beside them at most: a quarter of the transfers in flight, or 4 (src/engine/hedged-transfers.ts). */
const HEDGES = 4;
const PART_SIZE = 8 * MiB;
const CRASHES = 5;
const SRC = "crash-source";
const DST = "crash-target";

describe(`crash: kill -9 five times during a ${OBJECT_SIZE / MiB} MiB copy, resuming each time`, () => {
  const pair = usePartitionPair({ sourceBuckets: [SRC], targetBuckets: [DST] });
  let sourceProxy: FaultProxy;
  let targetProxy: FaultProxy;
  const random = seededRandom(`crash:${SEED}`);
  const started = Date.now();
  const loadBefore = loadavg().map((v) => Number(v.toFixed(2)));
  const layouts: CrashLayoutResult[] = [];

  beforeAll(async () => {
    console.log(`crash seed ${SEED} (CRASH_SEED=${SEED} repeats the kill points)`);
    // Pass-through proxies (no faults) count the bytes each run sends and reads.
    sourceProxy = await startFaultProxy({ upstream: pair.source.endpoint });
    targetProxy = await startFaultProxy({ upstream: pair.target.endpoint });
  });

  afterAll(async () => {
    if (layouts.length > 0) {
      const result: CrashResult = {
        generatedAt: new Date().toISOString(),
        scale: small ? "small" : "full",
        seed: SEED,
        cli: cliDescription(),
        layouts,
        load: {
          loadAverageBefore: loadBefore,
          loadAverageAfter: loadavg().map((v) => Number(v.toFixed(2))),
          cores: cpus().length,
        },
        durationSeconds: Math.round((Date.now() - started) / 1000),
      };
      const paths = reliabilityPaths(small);
      writeResult(paths, "crash", result, cliOverride() !== undefined);
      console.log(`wrote ${writeReliabilityDoc(paths)}`);
    }
    await sourceProxy?.close();
    await targetProxy?.close();
  });

  /** The incomplete upload of the key holding the most bytes (the one a resume picks), and all ids. */
  async function stored(key: string): Promise<{ bytes: number; uploadIds: string[] }> {
    const ids = await uploadsOf(pair.targetClient, DST, key);
    let bytes = 0;
    for (const id of ids) {
      const parts = await partsOf(pair.targetClient, DST, key, id).catch(() => new Map<number, number>());
      bytes = Math.max(
        bytes,
        [...parts.values()].reduce((a, b) => a + b, 0),
      );
    }
    return { bytes, uploadIds: ids };
  }

  async function targetHas(key: string): Promise<boolean> {
    return (await listKeys(pair.targetClient, DST, key)).includes(key);
  }

  const copyArgs = (key: string) => [
    "copy",
    `s3://${SRC}/${key}`,
    `s3://${DST}/${key}`,
    ...pair.profiles.args,
    "--source-endpoint",
    sourceProxy.endpoint,
    "--target-endpoint",
    targetProxy.endpoint,
    "--quiet",
    "--json",
    "--concurrency",
    String(CONCURRENCY),
  ];

  /** One run: killed once it has sent `killAt` upload bytes (plus a random moment), or to its end. */
  async function run(index: number, key: string, killAt: number | undefined, storedBefore: number) {
    sourceProxy.resetStats();
    targetProxy.resetStats();
    const runStarted = Date.now();
    const child = spawnCliUnderTest(copyArgs(key), pair.profiles.env);
    const finished = collect(child);
    let exited = false;
    void finished.then(() => {
      exited = true;
    });
    let killed = false;
    let killAtUploadBytes: number | undefined;
    if (killAt !== undefined) {
      while (!exited && (targetProxy.stats().payloadUpByOperation.UploadPart ?? 0) < killAt) await sleep(5);
      // Land anywhere within the transfer of a part, not only at the byte that crossed the mark.
      if (!exited) await sleep(Math.floor(random() * 40));
      if (!exited) {
        killAtUploadBytes = targetProxy.stats().payloadUpByOperation.UploadPart ?? 0;
        killed = child.kill("SIGKILL");
      }
    }
    const result = await finished;
    // Let the servers notice the dropped connections and discard the parts in flight.
    if (killed) await sleep(1500);
    const after = await stored(key);
    const uploadBytes = Math.round(targetProxy.stats().payloadUpByOperation.UploadPart ?? 0);
    // A kill that came after the upload was completed interrupted nothing: the object is there.
    const complete = !killed || (await targetHas(key));
    if (killed && complete) killed = false;
    const storedAfter = complete ? OBJECT_SIZE : after.bytes;
    const record: CrashRun = {
      index,
      killed,
      ...(killAtUploadBytes === undefined ? {} : { killAtUploadBytes }),
      seconds: (Date.now() - runStarted) / 1000,
      uploadBytes,
      sourceBytes: sourceProxy.stats().bytesDownByOperation.GetObject ?? 0,
      storedBefore,
      storedAfter,
      resent: Math.round(uploadBytes - (storedAfter - storedBefore)),
      uploadIds: after.uploadIds,
      exitCode: result.code,
    };
    console.log(
      `  run ${index}: ${killed ? `kill -9 after ${(uploadBytes / MiB).toFixed(1)} MiB sent` : `exit ${result.code}`}; ` +
        `stored ${(storedBefore / MiB).toFixed(0)} -> ${(storedAfter / MiB).toFixed(0)} MiB; ` +
        `re-sent ${(record.resent / MiB).toFixed(1)} MiB; read ${(record.sourceBytes / MiB).toFixed(0)} MiB from the source`,
    );
    return { record, result };
  }

  for (const layout of LAYOUTS) {
    it(`${layout}: five crashes cost at most the parts in flight each; the copy ends identical with no upload left`, async () => {
      const key = `${layout}/one-gib.bin`;
      let source: Uploaded;
      if (layout === "mirrored") {
        source = await uploadMultipart(pair.sourceClient, SRC, key, {
          size: OBJECT_SIZE,
          partSize: SOURCE_PART_SIZE,
          seed: `crash:${key}`,
        });
      } else if (layout === "planned") {
        source = await putStreamed(pair.sourceClient, SRC, key, { size: OBJECT_SIZE, seed: `crash:${key}` });
      } else {
        throw new Error(`unknown layout "${layout}" (mirrored, planned)`);
      }
      const partSize = layout === "mirrored" ? SOURCE_PART_SIZE : PART_SIZE;
      const inFlightBound = (CONCURRENCY + HEDGES) * partSize;
      console.log(`${layout}: ${OBJECT_SIZE / MiB} MiB source, parts of ${partSize / MiB} MiB`);

      // Where the crashes come: five random points of the copy's progress between 5% and 85%, in
      // order. A run is killed once the target holds (or is being sent) the bytes up to its point;
      // when an earlier run overshot the point, the kill comes as soon as the run sends its first bytes.
      const points = Array.from({ length: CRASHES }, () =>
        Math.floor((0.05 + random() * 0.8) * OBJECT_SIZE),
      ).sort((a, b) => a - b);
      const runs: CrashRun[] = [];
      for (let index = 1; index <= CRASHES + 1; index++) {
        const before = (await stored(key)).bytes;
        const point = points[index - 1];
        const killAt = point === undefined ? undefined : Math.max(1, point - before);
        const { record, result } = await run(index, key, killAt, before);
        runs.push(record);
        if (!record.killed) {
          expect(result.code, result.stderr).toBe(0);
          const summary = JSON.parse(result.stdout) as { copied: number; skipped: number; failed: number };
          // Skipped: a kill that came after the upload was completed left nothing to do.
          expect(summary.copied + summary.skipped).toBe(1);
          expect(summary.failed).toBe(0);
          // Done before all the crashes: the check on the number of kills below says so.
          break;
        }
      }

      const identical = (await digestObject(pair.targetClient, DST, key)).md5Hex === source.md5Hex;
      const uploadsLeft = (await incompleteUploads(pair.targetClient, DST)).length;
      const verify = await collect(
        spawnCliUnderTest(
          ["verify", `s3://${SRC}/${layout}/`, `s3://${DST}/${layout}/`, ...pair.profiles.args, "--json"],
          pair.profiles.env,
        ),
      );
      const totalUploadBytes = runs.reduce((a, r) => a + r.uploadBytes, 0);
      const killedRuns = runs.filter((r) => r.killed);
      const ids = new Set(killedRuns.flatMap((r) => r.uploadIds));
      const result: CrashLayoutResult = {
        layout:
          layout === "mirrored"
            ? "Multipart source (8 MiB parts, mirrored)"
            : "Single-part source (cut into 8 MiB parts)",
        objectSize: OBJECT_SIZE,
        partSize,
        concurrency: CONCURRENCY,
        inFlightBound,
        runs,
        totalUploadBytes,
        totalResent: totalUploadBytes - OBJECT_SIZE,
        totalSourceBytes: runs.reduce((a, r) => a + r.sourceBytes, 0),
        sameUploadResumed: ids.size === 1 && killedRuns.every((r) => r.uploadIds.length === 1),
        identical,
        uploadsLeft,
        verifyInSync: verify.code === 0,
      };
      layouts.push(result);

      expect(killedRuns.length, "every crash round killed the CLI mid-copy").toBe(CRASHES);
      for (const r of killedRuns) {
        expect(r.resent, `run ${r.index} re-sent more than the parts in flight`).toBeLessThanOrEqual(
          inFlightBound,
        );
        expect(r.resent).toBeGreaterThanOrEqual(0);
      }
      const last = runs.at(-1) as CrashRun;
      // (Payload bytes are estimated from the aws-chunked framing's share: a few bytes of rounding.)
      expect(Math.abs(last.resent), "the final run sent only what was missing").toBeLessThan(1024);
      expect(identical).toBe(true);
      expect(uploadsLeft).toBe(0);
      expect(verify.code).toBe(0);
    });
  }
});
