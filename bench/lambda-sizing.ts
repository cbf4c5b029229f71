// npm run bench:sizing: what each Lambda memory size costs and how fast it copies, measured. The
// handler bundle (dist/lambda/handler.js) runs in a child process (bench/lambda-sizing-runner.ts,
// one warm execution environment) inside a cgroup with Lambda's CPU share and memory limit for
// 256, 512, 1,024 and 2,048 MB; two MinIO servers are the partitions, moto holds the target keys
// and the queue for continuations, and the link model sits in front of the target (loopback, or
// the cross-border profile). Writes bench/sizing-results.json; `npm run bench:report` renders it
// into docs/PERFORMANCE.md. Needs root (cgroup v1); without it, says so and does nothing.
//
// Environment:
//   SIZING_LARGE_MIB=256        the large workload's object size in MiB (default 1024)
//   SIZING_MEMORY=256,512       only these memory sizes
//   SIZING_PROFILES=loopback    only these link profiles
//   SIZING_WORKLOADS=16KiB      only these workloads (ids: large, 4MiB, 16KiB)
//   SIZING_ALTERNATIVES=0       skip the runs with the other categories' parts in flight
//   SIZING_OUT=path             write the results there instead of bench/sizing-results.json
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { FILE_SIZE_CONFIG } from "../infra/parameters.js";
import { repoRoot } from "../scripts/minio-path.mjs";
import { HANDLER_PATH } from "../test/support/lambda.js";
import { LINK_PROFILES, type LinkModel, startLinkModel } from "../test/support/link-model.js";
import { type S3Server, startPartitionPair } from "../test/support/minio.js";
import { createQueueWithDlq, type MotoServer, putSecret, startMoto } from "../test/support/moto.js";
import { busyShare, machineCpu, measureChild } from "../test/support/process-stats.js";
import { createSandbox, prioritizePeers, sandboxUnavailable, vcpuShare } from "./lambda-sandbox.js";
import type { RunnerJob, RunnerReport } from "./lambda-sizing-runner.js";
import { writeFormattedJson } from "./report.js";
import {
  functionEnv,
  type SizingSides,
  seedWorkload,
  sidesOf,
  targetMatches,
  withTargetBucket,
} from "./sizing-fixtures.js";
import { largeMiB, type Planned, plan, WORKLOADS } from "./sizing-plan.js";
import type { SizingProfile, SizingResults, SizingRun, SizingWorkload } from "./sizing-types.js";

const MiB = 1024 * 1024;
const PROFILES: SizingProfile[] = ["loopback", "cross-border"];
/** The stack's event source mapping (infra/stack.ts). */
const BATCH_SIZE = 10;
/** A run that takes longer than this is killed and counted as failed. */
const RUN_TIMEOUT_MS = 20 * 60_000;

interface Bench {
  sides: SizingSides;
  moto: MotoServer;
  links: Record<SizingProfile, LinkModel>;
  runnerPath: string;
  workDir: string;
  /** The function's environment without the per-run parts. */
  env: Record<string, string>;
}

/** The runner, bundled so that the sandbox runs plain node (no TypeScript loader in its CPU share). */
async function bundleRunner(): Promise<string> {
  const outfile = join(repoRoot(), ".cache", "sizing", "lambda-sizing-runner.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "lambda-sizing-runner.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return outfile;
}

let runNumber = 0;
let interrupted = false;
/** What an interrupt (Ctrl-C, SIGTERM) stops at once; the cgroups are removed on the way out. */
const interruptions = new Set<() => void>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    for (const stop of interruptions) stop();
  });
}

async function runOnce(bench: Bench, planned: Planned): Promise<SizingRun> {
  const n = ++runNumber;
  const { workload, memoryMb, parts, profile } = planned;
  const timeoutSeconds = FILE_SIZE_CONFIG[parts.category].TimeoutSeconds;
  const link = bench.links[profile];
  const queue = await createQueueWithDlq(bench.moto, `sizing-${n}`, 5);
  const sandbox = createSandbox(`s3xsync-sizing-${process.pid}-${n}`, memoryMb);
  try {
    return await withTargetBucket(bench.sides, `sizing-${n}`, async (targetBucket) => {
      const job: RunnerJob = {
        handlerPath: HANDLER_PATH,
        bucket: bench.sides.sourceBucket,
        keys: Array.from({ length: workload.objects }, (_, i) => keyOf(workload, i)),
        batchSize: BATCH_SIZE,
        timeoutMs: timeoutSeconds * 1000,
        queueUrl: queue.queueUrl,
        resultPath: join(bench.workDir, `result-${n}.json`),
      };
      const jobPath = join(bench.workDir, `job-${n}.json`);
      await writeFile(jobPath, JSON.stringify(job));
      const env = {
        ...bench.env,
        TARGET_BUCKET: targetBucket,
        TARGET_ENDPOINT: link.endpoint,
        QUEUE_URL: queue.queueUrl,
        MAX_FILE_SIZE_CATEGORY: parts.category,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      };
      const [command, ...args] = sandbox.wrap([process.execPath, bench.runnerPath, jobPath]);
      link.resetStats();
      const cpuBefore = machineCpu();
      const child = spawn(command as string, args, { env, stdio: ["ignore", "ignore", "pipe"] });
      const stop = () => child.kill("SIGKILL");
      const killer = setTimeout(stop, RUN_TIMEOUT_MS);
      interruptions.add(stop);
      const measured = await measureChild(child).finally(() => {
        clearTimeout(killer);
        interruptions.delete(stop);
      });
      const linkStats = link.stats();
      const report = await readReport(job.resultPath);
      const problem =
        sandbox.oomKills() > 0
          ? `killed: over the ${memoryMb} MB memory limit`
          : measured.code !== 0
            ? `runner exited ${measured.code ?? measured.signal}: ${measured.stderr.trim().split("\n").slice(-3).join(" / ")}`
            : report && report.failedMessages > 0
              ? `${report.failedMessages} message(s) failed`
              : await targetMatches(bench.sides, targetBucket, workload);
      return {
        profile,
        workload: workload.id,
        objects: workload.objects,
        bytes: workload.objects * workload.objectSize,
        memoryMb,
        vcpu: vcpuShare(memoryMb),
        parts,
        timeoutSeconds,
        ok: problem === undefined,
        ...(problem ? { problem } : {}),
        billedSeconds: report ? (report.initMs + report.invokedMs) / 1000 : measured.seconds,
        initSeconds: (report?.initMs ?? 0) / 1000,
        invocations: report?.invocations ?? 0,
        continuations: report?.continuations ?? 0,
        peakRssBytes: measured.peakRssBytes,
        cpuSeconds: measured.cpuSeconds,
        throttledSeconds: sandbox.throttledSeconds(),
        linkBytesUp: linkStats.bytesUp,
        linkResets: linkStats.resets,
        machineBusyShare: busyShare(cpuBefore, machineCpu()),
      };
    });
  } finally {
    sandbox.remove();
  }
}

async function readReport(path: string): Promise<RunnerReport | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as RunnerReport;
  } catch {
    return undefined;
  }
}

function keyOf(workload: SizingWorkload, i: number): string {
  return `sizing/${workload.id}/${String(i).padStart(5, "0")}`;
}

function describeRun(run: SizingRun): string {
  const rate = run.bytes / 1e6 / run.billedSeconds;
  return (
    `${run.profile.padEnd(12)} ${run.workload.padEnd(6)} ${String(run.memoryMb).padStart(4)} MB ` +
    `parts ${run.parts.concurrency}-${run.parts.adaptiveMax}: ${run.billedSeconds.toFixed(1)} s, ` +
    `${rate.toFixed(1)} MB/s, CPU ${run.cpuSeconds.toFixed(1)} s (throttled ${run.throttledSeconds.toFixed(1)} s), RSS ${(run.peakRssBytes / MiB).toFixed(0)} MiB, ${run.invocations} invocations` +
    `${run.continuations ? ` (${run.continuations} continuations)` : ""}, machine ${(run.machineBusyShare * 100).toFixed(0)}% busy` +
    (run.ok ? "" : `  FAILED: ${run.problem}`)
  );
}

/** Seeds the source, then runs the plan; the servers and links are ready. */
async function measure(
  pair: { source: S3Server; target: S3Server },
  moto: MotoServer,
  links: Record<SizingProfile, LinkModel>,
  workDir: string,
): Promise<SizingRun[]> {
  const sides = await sidesOf(pair);
  const planned = plan(PROFILES);
  for (const workload of WORKLOADS.filter((w) => planned.some((p) => p.workload === w))) {
    await seedWorkload(sides, workload, keyOf);
  }
  const secretName = "sizing-target-keys";
  await putSecret(moto, secretName, {
    AccessKeyId: pair.target.accessKeyId,
    SecretAccessKey: pair.target.secretAccessKey,
  });
  const runnerPath = await bundleRunner();
  const bench: Bench = { sides, moto, links, runnerPath, workDir, env: functionEnv(sides, moto, secretName) };
  const runs: SizingRun[] = [];
  for (const next of planned) {
    if (interrupted) throw new Error("interrupted");
    const run = await runOnce(bench, next);
    console.log(describeRun(run));
    runs.push(run);
  }
  return runs;
}

/** Starts the servers and links, measures, and stops them whatever happens. */
async function withServers(workDir: string): Promise<SizingRun[]> {
  const [pair, moto] = await Promise.allSettled([startPartitionPair(), startMoto()]);
  const links: Partial<Record<SizingProfile, LinkModel>> = {};
  try {
    if (pair.status === "rejected") throw pair.reason;
    if (moto.status === "rejected") throw moto.reason;
    for (const profile of PROFILES) {
      links[profile] = await startLinkModel({ upstream: pair.value.target.endpoint, profile, seed: profile });
    }
    return await measure(pair.value, moto.value, links as Record<SizingProfile, LinkModel>, workDir);
  } finally {
    await Promise.all(Object.values(links).map((link) => link.close()));
    await Promise.all([pair, moto].map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
  }
}

async function main(): Promise<void> {
  const unavailable = sandboxUnavailable();
  if (unavailable) {
    console.log(`bench:sizing skipped: ${unavailable} (run it as root on Linux with cgroup v1)`);
    return;
  }
  const started = Date.now();
  const loadAverageBefore = loadavg();
  const workDir = await mkdtemp(join(tmpdir(), "s3xsync-sizing-"));
  const restorePriority = prioritizePeers(`s3xsync-sizing-peers-${process.pid}`);
  try {
    const runs = await withServers(workDir);
    const results: SizingResults = {
      generatedAt: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      machine: {
        cpuModel: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        loadAverageBefore,
        loadAverageAfter: loadavg(),
      },
      batchSize: BATCH_SIZE,
      largeObjectBytes: largeMiB * MiB,
      crossBorderLinkRate: LINK_PROFILES["cross-border"].linkRate,
      workloads: WORKLOADS,
      runs,
    };
    const out = process.env.SIZING_OUT ?? join(repoRoot(), "bench", "sizing-results.json");
    writeFormattedJson(out, results);
    console.log(`wrote ${out}; npm run bench:report renders it into docs/PERFORMANCE.md`);
  } finally {
    restorePriority();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
