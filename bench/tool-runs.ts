// Runs one tool once on one workload and measures it: the tools of the benchmarks (s3raw, s5cmd,
// s3xsync, rclone at its defaults, at our parallelism and tuned for a long link), how each is
// started, and what counts as a good run. Used by bench/run-bench.ts (loopback) and
// bench/link-bench.ts (the link profiles).
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { finished } from "node:stream/promises";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { minioBinaryPath } from "../scripts/minio-path.mjs";
import { peerBinaryPath } from "../scripts/peer-paths.mjs";
import type { CliProfiles } from "../test/support/cli.js";
import { spawnCliUnderTest } from "../test/support/cli-under-test.js";
import { MiB, pseudoRandomChunks, putStreamed, uploadMultipart } from "../test/support/generated-objects.js";
import type { S3Server } from "../test/support/minio.js";
import { busyShare, cpuSeconds, findPids, machineCpu, measureChild } from "../test/support/process-stats.js";
import { emptyAndDeleteBucket, listAll } from "../test/support/s3-fixtures.js";
import type { RunRecord, ToolId } from "./results-types.js";

export const SOURCE_PART_SIZE = 8 * MiB;
export const SRC_BUCKET = "bench-source";
const RUN_TIMEOUT_MS = 20 * 60_000;

export interface WorkloadSpec {
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

export const CANDIDATE = process.env.S3XSYNC_CANDIDATE ? resolve(process.env.S3XSYNC_CANDIDATE) : undefined;
export const BASELINE = process.env.S3XSYNC_BASELINE ? resolve(process.env.S3XSYNC_BASELINE) : undefined;

/** Other builds of the CLI run beside the project's own, by the tool that runs each. */
const OTHER_BUILDS: Partial<Record<ToolId, string>> = {
  "s3xsync-candidate": CANDIDATE,
  "s3xsync-baseline": BASELINE,
};

export const RCLONE_MATCHED_FLAGS = [
  "--transfers",
  "8",
  "--checkers",
  "8",
  "--s3-upload-concurrency",
  "8",
  "--s3-chunk-size",
  "8Mi",
];

/** rclone as a user tunes it for a long link (issue 12): many transfers and parts in flight. */
export const RCLONE_TUNED_FLAGS = [
  "--transfers",
  "32",
  "--s3-upload-concurrency",
  "16",
  "--s3-chunk-size",
  "8M",
  "--checkers",
  "32",
];

const RCLONE_FLAGS = {
  "rclone-default": [],
  "rclone-matched": RCLONE_MATCHED_FLAGS,
  "rclone-tuned": RCLONE_TUNED_FLAGS,
};

export function cleanEnv(): NodeJS.ProcessEnv {
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

async function writeLocalFile(path: string, seed: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of pseudoRandomChunks(seed, size)) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end();
  await finished(out);
}

export function keyOf(spec: WorkloadSpec, index: number): string {
  return `${spec.prefix}object-${String(index).padStart(4, "0")}`;
}

/**
 * Uploads the workload's objects to the source and, given `filesDir`, writes the same bytes to tmpfs
 * for the PUT-only runs.
 */
export async function seed(spec: WorkloadSpec, client: S3Client, filesDir?: string): Promise<void> {
  const limit = pLimit(spec.multipart ? 4 : 32);
  if (filesDir) await mkdir(join(filesDir, spec.prefix), { recursive: true });
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
        if (filesDir) await writeLocalFile(join(filesDir, key), seedText, spec.objectSize);
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

export async function bucketTotals(client: S3Client, bucket: string, prefix: string) {
  const entries = await listAll(client, bucket, prefix);
  return { objects: entries.length, bytes: entries.reduce((sum, e) => sum + e.size, 0) };
}

export function minioPid(server: S3Server): number | undefined {
  const port = new URL(server.endpoint).port;
  return findPids([minioBinaryPath(), `127.0.0.1:${port}`])[0];
}

export interface Context {
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
export interface Endpoints {
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
    case "s3xsync-baseline":
      return spawn(
        process.execPath,
        [
          OTHER_BUILDS[tool] as string,
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
    case "rclone-tuned":
      return spawn(
        peerBinaryPath("rclone"),
        [
          "copy",
          `src:${SRC_BUCKET}/${spec.prefix}`,
          `dst:${targetBucket}/${spec.prefix}`,
          ...RCLONE_FLAGS[tool],
        ],
        { env: rcloneEnv(endpoints.source, endpoints.target, ctx.rcloneConfig), stdio },
      );
  }
}

export async function runOnce(
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
  } else if (tool === "s3xsync" || tool in OTHER_BUILDS) {
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
 * Runs every tool `repeats` times, interleaved: the order rotates every repeat so no tool always
 * runs first (or right after another). Prints each run as it ends.
 */
export async function runInterleaved(
  spec: WorkloadSpec,
  tools: ToolId[],
  repeats: number,
  run: (tool: ToolId, repeat: number) => Promise<RunRecord>,
): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (let repeat = 1; repeat <= repeats; repeat++) {
    const order = tools.map((_, i) => tools[(i + repeat - 1) % tools.length] as ToolId);
    for (const tool of order) {
      const record = await run(tool, repeat);
      runs.push(record);
      const rate =
        spec.metric === "mbPerSecond"
          ? `${record.mbPerSecond.toFixed(1)} MB/s`
          : `${record.objectsPerSecond.toFixed(0)} obj/s`;
      const link = record.link
        ? `  conns ${record.link.peakConnections} peak, ${record.link.resets} resets, ${record.link.stalls} stalls`
        : "";
      console.log(
        `  #${repeat} ${tool.padEnd(15)} ${record.seconds.toFixed(2).padStart(7)} s  ${rate.padStart(12)}  ` +
          `RSS ${(record.peakRssBytes / MiB).toFixed(0).padStart(4)} MiB  CPU ${record.cpuSeconds.toFixed(1)} s  ` +
          `busy ${(record.machineBusyShare * 100).toFixed(0)}%${link}${record.ok ? "" : `  FAILED: ${record.problem}`}`,
      );
    }
  }
  return runs;
}
