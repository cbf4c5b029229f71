// npm run bench: s3xsync against its peers on two local MinIO servers with different keys (the two
// partitions' stand-ins), over three workloads, each tool several times in the same run.
//
//   limit-get       s3raw GET-only from the source          what the source can serve
//   limit-put       s3raw PUT-only to the target            what the target can take (same bytes)
//   s5cmd-get/put   the same with s5cmd (to tmpfs and from it); the limit is the better of the two
//   s3xsync         s3xsync sync at its defaults
//   rclone-default  rclone copy src: dst: at its defaults
//   rclone-matched  rclone copy with our parallelism (8 transfers, 8 parts in flight, 8 MiB parts)
//
// Writes bench/results.json, docs/PERFORMANCE.md and docs/performance-chart.svg, and prints a table.
// Environment:
//   BENCH_SCALE=small      reduced sizes (64 MiB; 8 x 16 MiB; 200 x 16 KiB), 2 repeats, and output to
//                          .cache/bench-small/ instead of bench/ and docs/ (to check the script works)
//   BENCH_REPEATS=N        repeats per tool and workload (default 5; small: 2)
//   BENCH_WORKLOADS=a,b    only these workloads (ids: 1GiB, 64MiB, 16KiB)
//   BENCH_COUNT_REQUESTS=0 skip the extra untimed pass that counts each tool's requests
//   BENCH_OUT_DIR=dir      write results.json and the docs there instead (trial runs)
//   S3XSYNC_CLI=path       benchmark another build of the CLI instead of dist/cli/s3xsync.js
//   S3XSYNC_CANDIDATE=path also benchmark this build, interleaved with the others ("s3xsync-candidate"),
//   S3XSYNC_CANDIDATE_NOTE="..." and say what it changes: how an engine change is measured before it lands
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { finished } from "node:stream/promises";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { minioBinaryPath, repoRoot } from "../scripts/minio-path.mjs";
import { PEERS, peerBinaryPath } from "../scripts/peer-paths.mjs";
import { type CliProfiles, writeProfiles } from "../test/support/cli.js";
import { spawnCliUnderTest } from "../test/support/cli-under-test.js";
import { startFaultProxy } from "../test/support/fault-proxy.js";
import { MiB, pseudoRandomChunks, putStreamed, uploadMultipart } from "../test/support/generated-objects.js";
import { type S3Server, s3ClientFor, startPartitionPair } from "../test/support/minio.js";
import { busyShare, cpuSeconds, findPids, machineCpu, measureChild } from "../test/support/process-stats.js";
import { emptyAndDeleteBucket, listAll } from "../test/support/s3-fixtures.js";
import { renderTable, summarize, writeFormattedJson, writePerformanceDocs } from "./report.js";
import type { BenchResults, RequestCount, RunRecord, ToolId, WorkloadResult } from "./results-types.js";

const GiB = 1024 * MiB;
const SOURCE_PART_SIZE = 8 * MiB;
const SRC_BUCKET = "bench-source";
const RUN_TIMEOUT_MS = 20 * 60_000;

const small = process.env.BENCH_SCALE === "small";
const repeats = Number(process.env.BENCH_REPEATS ?? (small ? 2 : 5));
const onlyWorkloads = process.env.BENCH_WORKLOADS?.split(",").map((s) => s.trim());
const countRequests = process.env.BENCH_COUNT_REQUESTS !== "0";
const outDir =
  process.env.BENCH_OUT_DIR ??
  (small ? join(repoRoot(), ".cache", "bench-small") : join(repoRoot(), "bench"));
const docsDir = process.env.BENCH_OUT_DIR || small ? outDir : join(repoRoot(), "docs");

interface WorkloadSpec {
  id: string;
  title: string;
  prefix: string;
  objects: number;
  objectSize: number;
  /** Source uploaded in 8 MiB parts (else one PUT per object). */
  multipart: boolean;
  metric: "mbPerSecond" | "objectsPerSecond";
  /** Measured and shown, but the issue sets no throughput target for it. */
  informational?: boolean;
  /** Every tool talks through proxies that hold each request this long first (a long link). */
  latencyMs?: number;
  /** The tools run on this workload, when not all of them. */
  tools?: ToolId[];
}

const workload = (
  id: string,
  title: string,
  objects: number,
  objectSize: number,
  multipart: boolean,
  informational = false,
  link: Pick<WorkloadSpec, "latencyMs" | "tools"> = {},
): WorkloadSpec => ({
  id,
  title: small ? `${title} (small scale)` : title,
  prefix: `${id.toLowerCase()}/`,
  objects,
  objectSize,
  multipart,
  metric: objectSize >= MiB ? "mbPerSecond" : "objectsPerSecond",
  ...(informational ? { informational } : {}),
  ...link,
});

/**
 * Small objects over a link with latency, where round trips rather than CPU set the pace: 50 ms
 * before every request on both sides (the fault proxy's latencyMs; bandwidth and TCP windows are not
 * modelled). s5cmd is left out: its 256 workers would measure the proxy.
 */
const LATENCY_MS = 50;
const LATENCY_TOOLS: ToolId[] = ["limit-get", "limit-put", "s3xsync", "rclone-default", "rclone-matched"];
const overLatency = { latencyMs: LATENCY_MS, tools: LATENCY_TOOLS };

// The issue's three workloads, and a single-part 1 GiB source: the engine cuts that one into parts
// itself and proves it by the MD5 of the whole, a different path from a source uploaded in parts.
const WORKLOADS: WorkloadSpec[] = small
  ? [
      workload("1GiB", "1 object of 64 MiB", 1, 64 * MiB, true),
      workload("64MiB", "8 objects of 16 MiB", 8, 16 * MiB, true),
      workload("16KiB", "200 objects of 16 KiB", 200, 16 * 1024, false),
      workload("1GiB-single", "1 object of 64 MiB uploaded in one piece", 1, 64 * MiB, false, true),
      workload(
        "16KiB-latency",
        "60 objects of 16 KiB, 50 ms per request",
        60,
        16 * 1024,
        false,
        true,
        overLatency,
      ),
    ]
  : [
      workload("1GiB", "1 object of 1 GiB", 1, GiB, true),
      workload("64MiB", "32 objects of 64 MiB", 32, 64 * MiB, true),
      workload("16KiB", "2,000 objects of 16 KiB", 2000, 16 * 1024, false),
      workload("1GiB-single", "1 object of 1 GiB uploaded in one piece", 1, GiB, false, true),
      workload(
        "16KiB-latency",
        "600 objects of 16 KiB, 50 ms per request",
        600,
        16 * 1024,
        false,
        true,
        overLatency,
      ),
    ];

const CANDIDATE = process.env.S3XSYNC_CANDIDATE ? resolve(process.env.S3XSYNC_CANDIDATE) : undefined;
const TOOLS: ToolId[] = [
  "limit-get",
  "limit-put",
  "s5cmd-get",
  "s5cmd-put",
  "s3xsync",
  ...(CANDIDATE ? (["s3xsync-candidate"] as const) : []),
  "rclone-default",
  "rclone-matched",
];

/** What each tool is run with; the same text goes into results.json. */
const RCLONE_MATCHED_FLAGS = [
  "--transfers",
  "8",
  "--checkers",
  "8",
  "--s3-upload-concurrency",
  "8",
  "--s3-chunk-size",
  "8Mi",
];
const SETTINGS: Record<string, string> = {
  "limit-get":
    "s3raw -mode get -endpoint SRC -bucket bench-source -prefix PREFIX (bench/s3raw: minio-go, 16 requests in flight, ranged GETs of 16 MiB, bodies discarded)",
  "limit-put":
    "s3raw -mode put -endpoint DST -bucket TARGET -prefix PREFIX -dir /dev/shm/FILES/PREFIX (16 objects in flight; one PUT up to 200 MiB, else 16 MiB parts, 16 in flight; UNSIGNED-PAYLOAD, no MD5)",
  "s5cmd-get":
    "s5cmd --endpoint-url SRC cp 's3://bench-source/PREFIX*' /dev/shm/DIR/ (s5cmd defaults: 256 workers, 5 parts of 50 MiB per object)",
  "s5cmd-put":
    "s5cmd --endpoint-url DST cp '/dev/shm/FILES/PREFIX*' s3://TARGET/PREFIX (same bytes as the source, from tmpfs; s5cmd signs each payload with SHA-256 over http)",
  limit: "min(best GET-only, best PUT-only): the better of s3raw and s5cmd in each direction",
  s3xsync:
    "s3xsync sync s3://bench-source/PREFIX s3://TARGET/PREFIX --source-profile source --target-profile target --quiet --json (defaults: --concurrency 8, --part-size 8MiB, --retries 4)",
  "rclone-default":
    "rclone copy src:bench-source/PREFIX dst:TARGET/PREFIX (defaults: --transfers 4, --checkers 8, --s3-upload-concurrency 4, --s3-chunk-size 5Mi, --s3-upload-cutoff 200Mi)",
  "rclone-matched": `rclone copy src:bench-source/PREFIX dst:TARGET/PREFIX ${RCLONE_MATCHED_FLAGS.join(" ")}`,
  remotes:
    "rclone remotes from the environment: type s3, provider Minio, path style, each with its own server's keys and region; AWS_CA_BUNDLE unset for rclone and s5cmd",
  sources:
    "objects of 1 GiB and 64 MiB uploaded as multipart with 8 MiB parts (as AWS CLI does), 16 KiB objects with one PUT; pseudo-random bytes",
  targets: "a new empty target bucket for every run, deleted after it",
  latency: `16KiB-latency: every tool talks to both servers through test/support/fault-proxy.ts with latencyMs ${LATENCY_MS} (each request held ${LATENCY_MS} ms before it is forwarded; no faults); s5cmd not run`,
  measurement:
    "wall time from spawn to exit of the tool's process; peak RSS = VmHWM from /proc/<pid>/status polled every 50 ms; CPU from /proc/<pid>/stat",
};

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("AWS_") && !key.startsWith("RCLONE_")) env[key] = value;
  }
  return env;
}

function s5cmdEnv(server: S3Server): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(),
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_REGION: server.region,
  };
}

function rcloneEnv(source: S3Server, target: S3Server, configPath: string): NodeJS.ProcessEnv {
  const remote = (name: string, server: S3Server) => ({
    [`RCLONE_CONFIG_${name}_TYPE`]: "s3",
    [`RCLONE_CONFIG_${name}_PROVIDER`]: "Minio",
    [`RCLONE_CONFIG_${name}_ENDPOINT`]: server.endpoint,
    [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: server.accessKeyId,
    [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: server.secretAccessKey,
    [`RCLONE_CONFIG_${name}_REGION`]: server.region,
    [`RCLONE_CONFIG_${name}_FORCE_PATH_STYLE`]: "true",
  });
  return { ...cleanEnv(), RCLONE_CONFIG: configPath, ...remote("SRC", source), ...remote("DST", target) };
}

function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", env: cleanEnv() });
  return (r.stdout || r.stderr || "").split("\n")[0]?.trim() ?? "";
}

function gitDescription(): string {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot(), encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], {
    cwd: repoRoot(),
    encoding: "utf8",
  });
  return `${commit.stdout.trim()}${dirty.stdout.trim() ? " + uncommitted changes in src/" : ""}`;
}

async function writeLocalFile(path: string, seed: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of pseudoRandomChunks(seed, size)) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end();
  await finished(out);
}

function keyOf(spec: WorkloadSpec, index: number): string {
  return `${spec.prefix}object-${String(index).padStart(4, "0")}`;
}

/** Uploads the workload's objects to the source and writes the same bytes to tmpfs for the PUT-only run. */
async function seed(spec: WorkloadSpec, client: S3Client, filesDir: string): Promise<void> {
  const limit = pLimit(spec.multipart ? 4 : 32);
  await mkdir(join(filesDir, spec.prefix), { recursive: true });
  await Promise.all(
    Array.from({ length: spec.objects }, (_, i) =>
      limit(async () => {
        const key = keyOf(spec, i);
        const seedText = `bench:${key}`;
        if (spec.multipart) {
          await uploadMultipart(client, SRC_BUCKET, key, {
            size: spec.objectSize,
            partSize: SOURCE_PART_SIZE,
            seed: seedText,
          });
        } else if (spec.objectSize > SOURCE_PART_SIZE) {
          await putStreamed(client, SRC_BUCKET, key, { size: spec.objectSize, seed: seedText });
        } else {
          const body = Buffer.concat([...pseudoRandomChunks(seedText, spec.objectSize)]);
          await client.send(new PutObjectCommand({ Bucket: SRC_BUCKET, Key: key, Body: body }));
        }
        await writeLocalFile(join(filesDir, key), seedText, spec.objectSize);
      }),
    ),
  );
}

/** What s3raw says it read: {"objects":N,"bytes":N,"seconds":X}. */
function rawTotals(stdout: string): { objects: number; bytes: number } {
  try {
    const parsed = JSON.parse(stdout) as { objects: number; bytes: number };
    return { objects: parsed.objects, bytes: parsed.bytes };
  } catch {
    return { objects: 0, bytes: 0 };
  }
}

/** Count and total size of the files under a local directory (one level). */
async function localTotals(dir: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await stat(join(dir, name));
    if (info.isFile()) {
      objects++;
      bytes += info.size;
    }
  }
  return { objects, bytes };
}

async function bucketTotals(client: S3Client, bucket: string, prefix: string) {
  const entries = await listAll(client, bucket, prefix);
  return { objects: entries.length, bytes: entries.reduce((sum, e) => sum + e.size, 0) };
}

function minioPid(server: S3Server): number | undefined {
  const port = new URL(server.endpoint).port;
  return findPids([minioBinaryPath(), `127.0.0.1:${port}`])[0];
}

interface Context {
  source: S3Server;
  target: S3Server;
  sourceClient: S3Client;
  targetClient: S3Client;
  profiles: CliProfiles;
  rcloneConfig: string;
  shmDir: string;
  filesDir: string;
  sourcePid?: number;
  targetPid?: number;
}

let bucketCounter = 0;

/** Endpoints the tools talk to: the servers themselves, or proxies in front of them. */
interface Endpoints {
  source: S3Server;
  target: S3Server;
  profiles: CliProfiles;
}

/** Starts one run of a tool; returns the child and what to check afterwards. */
function startTool(
  tool: ToolId,
  spec: WorkloadSpec,
  ctx: Context,
  endpoints: Endpoints,
  targetBucket: string,
  getDir: string,
): ChildProcess {
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  switch (tool) {
    case "limit-get":
      return spawn(
        peerBinaryPath("s3raw"),
        [
          "-mode",
          "get",
          "-endpoint",
          endpoints.source.endpoint,
          "-bucket",
          SRC_BUCKET,
          "-prefix",
          spec.prefix,
        ],
        { env: s5cmdEnv(endpoints.source), stdio },
      );
    case "limit-put":
      return spawn(
        peerBinaryPath("s3raw"),
        [
          "-mode",
          "put",
          "-endpoint",
          endpoints.target.endpoint,
          "-bucket",
          targetBucket,
          "-prefix",
          spec.prefix,
          "-dir",
          join(ctx.filesDir, spec.prefix),
        ],
        { env: s5cmdEnv(endpoints.target), stdio },
      );
    case "s5cmd-get":
      return spawn(
        peerBinaryPath("s5cmd"),
        [
          "--endpoint-url",
          endpoints.source.endpoint,
          "--log",
          "error",
          "cp",
          `s3://${SRC_BUCKET}/${spec.prefix}*`,
          `${getDir}/`,
        ],
        { env: s5cmdEnv(endpoints.source), stdio },
      );
    case "s5cmd-put":
      return spawn(
        peerBinaryPath("s5cmd"),
        [
          "--endpoint-url",
          endpoints.target.endpoint,
          "--log",
          "error",
          "cp",
          `${join(ctx.filesDir, spec.prefix)}*`,
          `s3://${targetBucket}/${spec.prefix}`,
        ],
        { env: s5cmdEnv(endpoints.target), stdio },
      );
    case "s3xsync-candidate":
      return spawn(
        process.execPath,
        [
          CANDIDATE as string,
          "sync",
          `s3://${SRC_BUCKET}/${spec.prefix}`,
          `s3://${targetBucket}/${spec.prefix}`,
          ...endpoints.profiles.args,
          "--quiet",
          "--json",
        ],
        { env: { ...cleanEnv(), ...endpoints.profiles.env }, stdio },
      );
    case "s3xsync":
      return spawnCliUnderTest(
        [
          "sync",
          `s3://${SRC_BUCKET}/${spec.prefix}`,
          `s3://${targetBucket}/${spec.prefix}`,
          ...endpoints.profiles.args,
          "--quiet",
          "--json",
        ],
        endpoints.profiles.env,
      );
    case "rclone-default":
    case "rclone-matched":
      return spawn(
        peerBinaryPath("rclone"),
        [
          "copy",
          `src:${SRC_BUCKET}/${spec.prefix}`,
          `dst:${targetBucket}/${spec.prefix}`,
          ...(tool === "rclone-matched" ? RCLONE_MATCHED_FLAGS : []),
        ],
        { env: rcloneEnv(endpoints.source, endpoints.target, ctx.rcloneConfig), stdio },
      );
  }
}

async function runOnce(
  tool: ToolId,
  spec: WorkloadSpec,
  repeat: number,
  ctx: Context,
  endpoints: Endpoints = ctx,
): Promise<RunRecord> {
  bucketCounter++;
  const targetBucket = `bench-${tool}-${spec.id.toLowerCase()}-${bucketCounter}`;
  await ctx.targetClient.send(new CreateBucketCommand({ Bucket: targetBucket }));
  const getDir = join(ctx.shmDir, `get-${bucketCounter}`);
  await mkdir(getDir, { recursive: true });
  const serverCpu = () => ({
    source: ctx.sourcePid === undefined ? 0 : (cpuSeconds(ctx.sourcePid) ?? 0),
    target: ctx.targetPid === undefined ? 0 : (cpuSeconds(ctx.targetPid) ?? 0),
  });
  const cpuBefore = serverCpu();
  const machineBefore = machineCpu();
  const child = startTool(tool, spec, ctx, endpoints, targetBucket, getDir);
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const run = await measureChild(child);
  clearTimeout(timer);
  const machineAfter = machineCpu();
  const cpuAfter = serverCpu();
  const serverCpuSeconds = {
    source: cpuAfter.source - cpuBefore.source,
    target: cpuAfter.target - cpuBefore.target,
  };
  const machineBusySeconds = (machineAfter.busy - machineBefore.busy) / 100;

  const expected = { objects: spec.objects, bytes: spec.objects * spec.objectSize };
  const landed =
    tool === "s5cmd-get"
      ? await localTotals(getDir)
      : tool === "limit-get"
        ? rawTotals(run.stdout)
        : await bucketTotals(ctx.targetClient, targetBucket, spec.prefix);
  let problem: string | undefined;
  if (run.code !== 0)
    problem = `exit ${run.code ?? run.signal}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`;
  else if (landed.objects !== expected.objects || landed.bytes !== expected.bytes) {
    problem = `${landed.objects} objects / ${landed.bytes} bytes arrived, expected ${expected.objects} / ${expected.bytes}`;
  } else if (tool === "s3xsync" || tool === "s3xsync-candidate") {
    const summary = JSON.parse(run.stdout) as { copied: number; failed: number };
    if (summary.failed !== 0 || summary.copied !== spec.objects) problem = `summary ${run.stdout.trim()}`;
  }
  await rm(getDir, { recursive: true, force: true });
  await emptyAndDeleteBucket(ctx.targetClient, targetBucket);
  return {
    tool,
    repeat,
    ok: problem === undefined,
    ...(problem ? { problem } : {}),
    seconds: run.seconds,
    bytes: expected.bytes,
    objects: expected.objects,
    mbPerSecond: expected.bytes / 1e6 / run.seconds,
    objectsPerSecond: expected.objects / run.seconds,
    peakRssBytes: run.peakRssBytes,
    cpuSeconds: run.cpuSeconds,
    serverCpuSeconds,
    machineBusyShare: busyShare(machineBefore, machineAfter),
    otherCpuSeconds: Math.max(
      0,
      machineBusySeconds - run.cpuSeconds - serverCpuSeconds.source - serverCpuSeconds.target,
    ),
  };
}

/**
 * Pass-through proxies in front of both servers (no faults): they count requests, and hold each
 * one `latencyMs` before forwarding it when asked to.
 */
async function startProxies(ctx: Context, latencyMs?: number) {
  const sourceProxy = await startFaultProxy({ upstream: ctx.source.endpoint, latencyMs });
  const targetProxy = await startFaultProxy({ upstream: ctx.target.endpoint, latencyMs });
  const source = { ...ctx.source, endpoint: sourceProxy.endpoint };
  const target = { ...ctx.target, endpoint: targetProxy.endpoint };
  const profiles = await writeProfiles(source, target);
  return {
    sourceProxy,
    targetProxy,
    endpoints: { source, target, profiles } satisfies Endpoints,
    close: async () => {
      await profiles.cleanup();
      await sourceProxy.close();
      await targetProxy.close();
    },
  };
}

/** One more run of each tool through pass-through proxies (no faults), to count its requests. */
async function countToolRequests(spec: WorkloadSpec, ctx: Context): Promise<RequestCount[]> {
  const counts: RequestCount[] = [];
  const { sourceProxy, targetProxy, endpoints, close } = await startProxies(ctx);
  try {
    for (const tool of TOOLS) {
      sourceProxy.resetStats();
      targetProxy.resetStats();
      const record = await runOnce(tool, spec, 0, ctx, endpoints);
      if (!record.ok) console.warn(`  request count run of ${tool} failed: ${record.problem}`);
      const s = sourceProxy.stats().operations as Record<string, number>;
      const t = targetProxy.stats().operations as Record<string, number>;
      // The bucket setup and teardown of the run go to the target directly, not through the proxy.
      const total = [...Object.values(s), ...Object.values(t)].reduce((a, b) => a + b, 0);
      counts.push({ tool, source: s, target: t, total, perObject: total / spec.objects });
    }
  } finally {
    await close();
  }
  return counts;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? 0
    : sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  for (const binary of [
    minioBinaryPath(),
    peerBinaryPath("rclone"),
    peerBinaryPath("s5cmd"),
    peerBinaryPath("s3raw"),
  ]) {
    const r = spawnSync(binary, ["--version"], { stdio: "ignore" });
    if (r.error)
      throw new Error(
        `${binary} is missing: run node scripts/install-minio.mjs and node scripts/install-peers.mjs`,
      );
  }
  const loadBefore = loadavg().map((v) => Number(v.toFixed(2)));
  console.log(
    `bench: scale ${small ? "small" : "full"}, ${repeats} repeats, load average ${loadBefore.join(" ")}`,
  );

  const pair = await startPartitionPair();
  const shmDir = await mkdtemp("/dev/shm/s3xsync-bench-");
  // tmpfs is memory: never leave it behind, even on an error or Ctrl-C.
  const cleanupShm = () => rmSync(shmDir, { recursive: true, force: true });
  process.once("exit", cleanupShm);
  const rcloneConfig = join(shmDir, "rclone.conf");
  writeFileSync(rcloneConfig, "");
  const profiles = await writeProfiles(pair.source, pair.target);
  const ctx: Context = {
    source: pair.source,
    target: pair.target,
    sourceClient: s3ClientFor(pair.source),
    targetClient: s3ClientFor(pair.target),
    profiles,
    rcloneConfig,
    shmDir,
    filesDir: join(shmDir, "files"),
    sourcePid: minioPid(pair.source),
    targetPid: minioPid(pair.target),
  };
  const workloads: WorkloadResult[] = [];
  try {
    await ctx.sourceClient.send(new CreateBucketCommand({ Bucket: SRC_BUCKET }));
    for (const spec of WORKLOADS) {
      if (onlyWorkloads && !onlyWorkloads.includes(spec.id)) continue;
      console.log(`\n${spec.title}: seeding the source...`);
      const seeded = Date.now();
      await seed(spec, ctx.sourceClient, ctx.filesDir);
      console.log(`  seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
      const runs: RunRecord[] = [];
      const tools = spec.tools ?? TOOLS;
      const link = spec.latencyMs === undefined ? undefined : await startProxies(ctx, spec.latencyMs);
      for (let repeat = 1; repeat <= repeats; repeat++) {
        // Rotate the order every repeat so no tool always runs first (or right after another).
        const order = tools.map((_, i) => tools[(i + repeat - 1) % tools.length] as ToolId);
        for (const tool of order) {
          const record = await runOnce(tool, spec, repeat, ctx, link?.endpoints);
          runs.push(record);
          const rate =
            spec.metric === "mbPerSecond"
              ? `${record.mbPerSecond.toFixed(1)} MB/s`
              : `${record.objectsPerSecond.toFixed(0)} obj/s`;
          console.log(
            `  #${repeat} ${tool.padEnd(15)} ${record.seconds.toFixed(2).padStart(7)} s  ${rate.padStart(12)}  ` +
              `RSS ${(record.peakRssBytes / MiB).toFixed(0).padStart(4)} MiB  CPU ${record.cpuSeconds.toFixed(1)} s  ` +
              `busy ${(record.machineBusyShare * 100).toFixed(0)}%${record.ok ? "" : `  FAILED: ${record.problem}`}`,
          );
        }
      }
      await link?.close();
      // Behind the slow link the requests are those of the loopback workload of the same objects.
      const requests = countRequests && !link ? await countToolRequests(spec, ctx) : undefined;
      const layout = spec.multipart ? `multipart, ${SOURCE_PART_SIZE / MiB} MiB parts` : "single PUT";
      workloads.push(
        summarize(
          spec,
          runs,
          link ? `${layout}; every request held ${spec.latencyMs} ms by a proxy on each side` : layout,
          requests,
        ),
      );
      await rm(join(ctx.filesDir, spec.prefix), { recursive: true, force: true });
    }
  } finally {
    await profiles.cleanup();
    await pair.stop();
    cleanupShm();
  }

  const allRuns = workloads.flatMap((w) => w.runs);
  const cores = cpus().length;
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    scale: small ? "small" : "full",
    repeats,
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    machine: {
      cpuModel: cpus()[0]?.model ?? "unknown",
      cores,
      memoryBytes: totalmem(),
      kernel: release(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map((v) => Number(v.toFixed(2))),
      medianMachineBusyShare: median(allRuns.map((r) => r.machineBusyShare)),
      medianOtherCpuShare: median(allRuns.map((r) => r.otherCpuSeconds / (r.seconds * cores))),
      note:
        process.env.BENCH_NOTE ??
        "client, both servers and the peers share the machine's cores; other workloads may have run at the same time (see the busy and other-CPU columns)",
    },
    versions: {
      node: process.version,
      s3xsync: `${JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")).version} (${gitDescription()})`,
      minio: `${firstLine(minioBinaryPath(), ["--version"])} built from ${readFileSync(join(repoRoot(), "scripts", "minio-path.mjs"), "utf8").match(/github\.com\/minio\/minio@[^"]+/)?.[0] ?? "?"}`,
      rclone: `${firstLine(peerBinaryPath("rclone"), ["version"])} (${PEERS.rclone.module})`,
      s5cmd: PEERS.s5cmd.module,
      s3raw: "bench/s3raw (this repository), minio-go v7.0.91",
    },
    settings: SETTINGS,
    ...(CANDIDATE
      ? {
          candidate: {
            path: CANDIDATE,
            description:
              process.env.S3XSYNC_CANDIDATE_NOTE ?? "(no description given in S3XSYNC_CANDIDATE_NOTE)",
          },
        }
      : {}),
    workloads,
    targets: [],
  };
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, "results.json");
  const docs = writePerformanceDocs(results, { resultsPath, docsDir });
  writeFormattedJson(resultsPath, docs.results);
  console.log(`\n${renderTable(docs.results)}`);
  console.log(`\nwrote ${resultsPath}, ${docs.markdownPath}, ${docs.chartPath}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
