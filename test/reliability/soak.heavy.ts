// npm run test:soak (not part of npm test): 1,000 objects of mixed sizes pushed by `s3xsync sync`
// through fault proxies in front of both servers at a 5% fault rate. Every object must end
// byte-identical on the target or be reported failed: nothing silently wrong or missing. A second
// pass (a user running the command again) must converge, and verify must find both sides in sync.
// Then a smaller set goes through proxies that corrupt bytes, which only the integrity checks catch.
//
// RELIABILITY_SCALE=small: 150 objects (and 40 for corruption), results in .cache/reliability-small/.
// SOAK_SEED=...: the fault decisions' seed (default: random, printed and recorded).
// SOAK_LINK=cross-border (a profile of test/support/link-model.ts): the same passes with that link
// between the CLI and the target's fault proxy, plus stalls of 5-40 s on 0.5 % of its bursts each way
// (some past the default 30 s stall timeout); results in soak-<profile>.json beside soak.json.
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type PassResult,
  reliabilityPaths,
  type SoakResult,
  writeReliabilityDoc,
  writeResult,
} from "../../bench/reliability-report.js";
import { collect } from "../support/cli.js";
import { cliDescription, cliOverride, spawnCliUnderTest } from "../support/cli-under-test.js";
import {
  type FaultProxy,
  type FaultProxyStats,
  type FaultRates,
  startFaultProxy,
} from "../support/fault-proxy.js";
import { digestObject, MiB, pseudoRandomChunks, uploadMultipart } from "../support/generated-objects.js";
import { usePartitionPair } from "../support/partition-pair.js";
import { measureChild } from "../support/process-stats.js";
import { incompleteUploads, listKeys, md5Hex } from "../support/s3-fixtures.js";
import { soakLink } from "./soak-link.js";

const small = process.env.RELIABILITY_SCALE === "small";
const SEED = process.env.SOAK_SEED ?? randomBytes(4).toString("hex");
const SRC = "soak-source";
const DST = "soak-target";
const CORRUPT_SRC = "soak-corrupt-source";
const CORRUPT_DST = "soak-corrupt-target";
/** 5% of all requests, spread over the five fault kinds of the issue. */
const FAULT_RATES: FaultRates = {
  slowDown: 0.01,
  internalError: 0.01,
  reset: 0.01,
  stall: 0.01,
  truncate: 0.01,
};
const STALL_MS: [number, number] = [500, 3000];
const CORRUPT_RATE = 0.05;
/** A pass still running after this long counts as a hang: it is killed and recorded as one. */
const PASS_TIMEOUT_MS = 20 * 60_000;
const link = soakLink(process.env.SOAK_LINK, SEED);

interface SourceObject {
  key: string;
  size: number;
  md5: string;
  kind: string;
}

/** The mix: mostly small objects, some cut into parts by the engine, some multipart at the source. */
function plan(
  total: number,
  rand: () => number,
): { key: string; size: number; kind: string; parts?: number }[] {
  const scale = total / 1000;
  const counts = [
    { kind: "empty", n: Math.max(1, Math.round(10 * scale)) },
    { kind: "medium, single part 1-8 MiB", n: Math.max(2, Math.round(30 * scale)) },
    {
      kind: "large, single part 8-12 MiB (engine cuts it into 8 MiB parts)",
      n: Math.max(2, Math.round(10 * scale)),
    },
    { kind: "multipart source, 2-3 parts of 5 MiB", n: Math.max(2, Math.round(20 * scale)) },
    { kind: "small 64 KiB-1 MiB", n: Math.max(2, Math.round(200 * scale)) },
  ];
  const fixed = counts.reduce((a, c) => a + c.n, 0);
  counts.push({ kind: "tiny 1 B-64 KiB", n: total - fixed });
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const out: { key: string; size: number; kind: string; parts?: number }[] = [];
  let i = 0;
  for (const { kind, n } of counts) {
    for (let j = 0; j < n; j++, i++) {
      // A few keys with spaces and non-ASCII characters, as real buckets have.
      const name =
        i % 97 === 5 ? `dir ${i}/naïve façade ${i}.bin` : `d${i % 10}/object-${String(i).padStart(4, "0")}`;
      const entry = { key: name, kind, size: 0 } as {
        key: string;
        size: number;
        kind: string;
        parts?: number;
      };
      if (kind === "empty") entry.size = 0;
      else if (kind.startsWith("tiny")) entry.size = between(1, 64 * 1024);
      else if (kind.startsWith("small")) entry.size = between(64 * 1024, MiB);
      else if (kind.startsWith("medium")) entry.size = between(MiB, 8 * MiB);
      else if (kind.startsWith("large")) entry.size = between(8 * MiB + 1, 12 * MiB);
      else {
        entry.parts = between(2, 3);
        entry.size = (entry.parts - 1) * 5 * MiB + between(1, 5) * MiB;
      }
      out.push(entry);
    }
  }
  return out;
}

async function seedObjects(
  client: S3Client,
  bucket: string,
  entries: { key: string; size: number; kind: string; parts?: number }[],
): Promise<SourceObject[]> {
  const limit = pLimit(8);
  return Promise.all(
    entries.map((entry) =>
      limit(async () => {
        const seedText = `soak:${bucket}:${entry.key}`;
        if (entry.parts) {
          const uploaded = await uploadMultipart(client, bucket, entry.key, {
            size: entry.size,
            partSize: 5 * MiB,
            seed: seedText,
          });
          return { key: entry.key, size: entry.size, md5: uploaded.md5Hex, kind: entry.kind };
        }
        const body = Buffer.concat([...pseudoRandomChunks(seedText, entry.size)]);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: entry.key, Body: body }));
        return { key: entry.key, size: entry.size, md5: md5Hex(body), kind: entry.kind };
      }),
    ),
  );
}

function seededRand(seed: string): () => number {
  let state = 0;
  for (const ch of seed) state = (Math.imul(state, 31) + ch.charCodeAt(0)) | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Judgement {
  identical: string[];
  missing: string[];
  wrong: string[];
  extra: string[];
}

/** Reads every object back from the target directly and compares it with the source's MD5. */
async function judge(targetClient: S3Client, bucket: string, objects: SourceObject[]): Promise<Judgement> {
  const present = new Set(await listKeys(targetClient, bucket));
  const limit = pLimit(8);
  const result: Judgement = { identical: [], missing: [], wrong: [], extra: [] };
  const wanted = new Set(objects.map((o) => o.key));
  result.extra = [...present].filter((key) => !wanted.has(key));
  await Promise.all(
    objects.map((object) =>
      limit(async () => {
        if (!present.has(object.key)) {
          result.missing.push(object.key);
          return;
        }
        const got = await digestObject(targetClient, bucket, object.key);
        if (got.md5Hex === object.md5 && got.size === object.size) result.identical.push(object.key);
        else result.wrong.push(object.key);
      }),
    ),
  );
  return result;
}

describe(`soak: ${small ? 150 : 1000} objects through 5% faults${link ? ` over ${link.name}` : ""}`, () => {
  const pair = usePartitionPair({ sourceBuckets: [SRC, CORRUPT_SRC], targetBuckets: [DST, CORRUPT_DST] });
  let sourceProxy: FaultProxy;
  let targetProxy: FaultProxy;
  /** The target's fault proxy, or the link in front of it. */
  let targetEndpoint: string;
  let objects: SourceObject[];
  const started = Date.now();
  const loadBefore = loadavg().map((v) => Number(v.toFixed(2)));
  const paths = reliabilityPaths(small);
  const passes: PassResult[] = [];
  const proxyTotals = { source: [] as FaultProxyStats[], target: [] as FaultProxyStats[] };
  const result: Partial<SoakResult> = {};

  beforeAll(async () => {
    console.log(`soak seed ${SEED} (SOAK_SEED=${SEED} repeats the fault decisions)`);
    objects = await seedObjects(
      pair.sourceClient,
      SRC,
      plan(small ? 150 : 1000, seededRand(`sizes:${SEED}`)),
    );
    sourceProxy = await startFaultProxy({
      upstream: pair.source.endpoint,
      rates: FAULT_RATES,
      seed: `source:${SEED}`,
      stallMs: STALL_MS,
      keepRecent: 100_000,
    });
    targetProxy = await startFaultProxy({
      upstream: pair.target.endpoint,
      rates: FAULT_RATES,
      seed: `target:${SEED}`,
      stallMs: STALL_MS,
      keepRecent: 100_000,
    });
    targetEndpoint = (await link?.start(targetProxy.endpoint)) ?? targetProxy.endpoint;
  });

  const viaProxies = (bucketFrom: string, bucketTo: string, command = "sync") => [
    command,
    `s3://${bucketFrom}`,
    `s3://${bucketTo}`,
    ...pair.profiles.args,
    "--source-endpoint",
    sourceProxy.endpoint,
    "--target-endpoint",
    targetEndpoint,
    "--quiet",
    "--json",
  ];

  /** One sync through the proxies; recorded in `into` (if given) before it is checked. */
  async function pass(bucketFrom: string, bucketTo: string, into?: PassResult[]): Promise<PassResult> {
    const child = spawnCliUnderTest(viaProxies(bucketFrom, bucketTo), pair.profiles.env);
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, PASS_TIMEOUT_MS);
    const run = await measureChild(child).finally(() => clearTimeout(timer));
    proxyTotals.source.push(sourceProxy.stats());
    proxyTotals.target.push(targetProxy.stats());
    sourceProxy.resetStats();
    targetProxy.resetStats();
    const parsed = /^\{/.test(run.stdout)
      ? (JSON.parse(run.stdout) as PassResult["summary"] & { failures: PassResult["failures"] })
      : undefined;
    const record: PassResult = {
      exitCode: run.code,
      seconds: run.seconds,
      peakRssBytes: run.peakRssBytes,
      summary: {
        copied: parsed?.copied ?? 0,
        skipped: parsed?.skipped ?? 0,
        deleted: parsed?.deleted ?? 0,
        failed: parsed?.failed ?? 0,
        bytes: parsed?.bytes ?? 0,
      },
      failures: parsed?.failures ?? [],
      ...(parsed ? {} : { crashed: run.stderr.trim().split("\n").slice(-20).join("\n") }),
      ...(hung ? { hung } : {}),
    };
    into?.push(record);
    expect(hung, `the pass ran for more than ${PASS_TIMEOUT_MS / 60_000} min: a hang`).toBe(false);
    expect(run.code, `exit code 0 or 1, never a usage error; stderr: ${run.stderr}`).toBeOneOf([0, 1]);
    expect(
      parsed,
      `the CLI ended without its JSON summary (it crashed); stderr: ${run.stderr}`,
    ).toBeDefined();
    return record;
  }

  it("first pass: every object byte-identical on the target or reported failed", async () => {
    const first = await pass(SRC, DST, passes);
    console.log(`pass 1: ${JSON.stringify(first.summary)} in ${first.seconds.toFixed(1)} s`);
    expect(first.exitCode).toBe(first.summary.failed > 0 ? 1 : 0);
    expect(first.summary.copied + first.summary.skipped + first.summary.failed).toBe(objects.length);

    const reported = new Set(first.failures.map((f) => f.key));
    const seen = await judge(pair.targetClient, DST, objects);
    const uploadsLeft = (await incompleteUploads(pair.targetClient, DST)).length;
    result.firstPass = {
      identical: seen.identical.length,
      missingReported: seen.missing.filter((k) => reported.has(k)).length,
      missingSilently: seen.missing.filter((k) => !reported.has(k)).length,
      wrongReported: seen.wrong.filter((k) => reported.has(k)).length,
      wrongSilently: seen.wrong.filter((k) => !reported.has(k)).length,
      extraOnTarget: seen.extra.length,
      uploadsLeft,
    };
    console.log(`pass 1 judged: ${JSON.stringify(result.firstPass)}`);
    expect(
      seen.missing.filter((k) => !reported.has(k)),
      "missing on the target, not reported",
    ).toEqual([]);
    expect(
      seen.wrong.filter((k) => !reported.has(k)),
      "different on the target, not reported",
    ).toEqual([]);
    expect(seen.extra, "keys on the target that the source does not have").toEqual([]);
  });

  it("running the same sync again converges: every object identical, verify in sync", async () => {
    for (let i = 0; i < 3 && (passes.at(-1)?.summary.failed ?? 1) > 0; i++) await pass(SRC, DST, passes);
    if (passes.length === 1) await pass(SRC, DST, passes);
    const last = passes.at(-1) as PassResult;
    expect(last.summary.failed).toBe(0);
    const seen = await judge(pair.targetClient, DST, objects);
    const verify = await collect(
      spawnCliUnderTest(
        ["verify", `s3://${SRC}`, `s3://${DST}`, ...pair.profiles.args, "--json"],
        pair.profiles.env,
      ),
    );
    const uploads = await incompleteUploads(pair.targetClient, DST);
    result.final = {
      identical: seen.identical.length,
      verifyInSync: (JSON.parse(verify.stdout) as { inSync: boolean }).inSync,
      uploadsLeft: uploads.length,
      uploadsLeftKeys: uploads.map((u) => u.split(" ")[0] ?? u),
    };
    expect(seen.identical.length).toBe(objects.length);
    expect(result.final.verifyInSync).toBe(true);
  });

  it("leaves no incomplete multipart upload on the target once every object is copied", () => {
    // An upload whose CreateMultipartUpload answer was lost (reset after the server made it) is
    // retried by the SDK; the first one then belongs to nobody unless the engine cleans it up.
    expect(result.final?.uploadsLeftKeys, "incomplete uploads left (keys)").toEqual([]);
  });

  it("corrupted bytes in transit are caught: identical or reported failed, never silently wrong", async () => {
    const corruptObjects = await seedObjects(
      pair.sourceClient,
      CORRUPT_SRC,
      plan(small ? 40 : 200, seededRand(`corrupt-sizes:${SEED}`)),
    );
    const rates = { corrupt: CORRUPT_RATE };
    sourceProxy.setRates(rates);
    targetProxy.setRates(rates);
    const corruptPasses: PassResult[] = [];
    const run = await pass(CORRUPT_SRC, CORRUPT_DST, corruptPasses).catch((error: unknown) => {
      result.corruptionCrash = corruptPasses[0]?.crashed ?? String(error);
      throw error;
    });
    const injected =
      (proxyTotals.source.at(-1)?.faults.corrupt ?? 0) + (proxyTotals.target.at(-1)?.faults.corrupt ?? 0);
    sourceProxy.setRates(FAULT_RATES);
    targetProxy.setRates(FAULT_RATES);
    const reported = new Set(run.failures.map((f) => f.key));
    const seen = await judge(pair.targetClient, CORRUPT_DST, corruptObjects);
    result.corruption = {
      objects: corruptObjects.length,
      rate: CORRUPT_RATE,
      injected,
      identical: seen.identical.length,
      reportedFailed: reported.size,
      silentlyWrong: [...seen.wrong, ...seen.missing].filter((k) => !reported.has(k)).length,
      uploadsLeft: (await incompleteUploads(pair.targetClient, CORRUPT_DST)).length,
    };
    console.log(`corruption: ${JSON.stringify(result.corruption)}`);
    expect(injected).toBeGreaterThan(0);
    expect([...seen.wrong, ...seen.missing].filter((k) => !reported.has(k))).toEqual([]);
  });

  afterAll(async () => {
    writeSoakResult();
    await link?.close();
    await sourceProxy?.close();
    await targetProxy?.close();
  });

  /** Records the run in the results JSON and renders RELIABILITY.md again. */
  function writeSoakResult(): void {
    if (passes.length === 0) return;
    const sum = (stats: FaultProxyStats[]) => {
      const operations: Record<string, number> = {};
      const faults: Record<string, number> = {};
      let requests = 0;
      for (const s of stats) {
        requests += s.requests;
        for (const [op, n] of Object.entries(s.operations)) operations[op] = (operations[op] ?? 0) + (n ?? 0);
        for (const [kind, n] of Object.entries(s.faults)) faults[kind] = (faults[kind] ?? 0) + n;
      }
      return { requests, operations, faults };
    };
    // The corruption pass is reported on its own; the totals cover the 5% passes.
    const soakStats = (side: FaultProxyStats[]) => side.slice(0, passes.length);
    const faultsByOperation: Record<string, Record<string, number>> = {};
    for (const s of [...soakStats(proxyTotals.source), ...soakStats(proxyTotals.target)]) {
      for (const [op, kinds] of Object.entries(s.faultsByOperation)) {
        const row = faultsByOperation[op] ?? {};
        for (const [kind, n] of Object.entries(kinds ?? {})) row[kind] = (row[kind] ?? 0) + (n ?? 0);
        faultsByOperation[op] = row;
      }
    }
    const sizeMix = new Map<string, { count: number; bytes: number }>();
    for (const o of objects) {
      const entry = sizeMix.get(o.kind) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += o.size;
      sizeMix.set(o.kind, entry);
    }
    const soak: SoakResult = {
      generatedAt: new Date().toISOString(),
      scale: small ? "small" : "full",
      seed: SEED,
      objects: objects.length,
      totalBytes: objects.reduce((a, o) => a + o.size, 0),
      sizeMix: [...sizeMix].map(([label, v]) => ({ label, ...v })),
      faultRates: FAULT_RATES as Record<string, number>,
      stallMs: STALL_MS,
      ...(link ? { link: link.result() } : {}),
      passes,
      cli: cliDescription(),
      ...(result.firstPass ? { firstPass: result.firstPass } : {}),
      ...(result.final ? { final: result.final } : {}),
      ...(result.corruptionCrash ? { corruptionCrash: result.corruptionCrash } : {}),
      proxy: {
        source: sum(soakStats(proxyTotals.source)),
        target: sum(soakStats(proxyTotals.target)),
      },
      faultsByOperation,
      multipartFaults: [...soakStats(proxyTotals.source), ...soakStats(proxyTotals.target)]
        .flatMap((st) => st.recent)
        .filter((f) => f.operation === "CreateMultipartUpload" || f.operation === "CompleteMultipartUpload")
        .map((f) => `${f.operation} ${f.kind} (${f.where}) ${decodeURIComponent(f.path)}`),
      ...(result.corruption ? { corruption: result.corruption } : {}),
      load: {
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((v) => Number(v.toFixed(2))),
        cores: cpus().length,
      },
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    writeResult(paths, link ? `soak-${link.name}` : "soak", soak, cliOverride() !== undefined);
    console.log(`wrote ${writeReliabilityDoc(paths)}`);
  }
});
