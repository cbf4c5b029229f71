// npm run bench: s3xsync against its peers on two local MinIO servers with different keys (the two
// partitions' stand-ins), each tool several times in the same run, interleaved. On loopback (the
// default profile), over five workloads:
//
//   limit-get       s3raw GET-only from the source          what the source can serve
//   limit-put       s3raw PUT-only to the target            what the target can take (same bytes)
//   s5cmd-get/put   the same with s5cmd (to tmpfs and from it); the limit is the better of the two
//   s3xsync         s3xsync sync at its defaults
//   rclone-default  rclone copy src: dst: at its defaults
//   rclone-matched  rclone copy with our parallelism (8 transfers, 8 parts in flight, 8 MiB parts)
//
// and on the link profiles of test/support/link-model.ts (bench/link-bench.ts): s3xsync, rclone at
// its defaults and rclone tuned for a long link, the link's capacity as the limit.
//
//   npm run bench -- --profiles loopback,near,cross-border,long-fat,cross-border:source --repeats 3
//
// --profiles   which runs (default: loopback); NAME:source puts the link on the source side instead
//              of between the copy host and the target
// --repeats N  repeats per tool and workload (default 5, links 3; small: 2); or BENCH_REPEATS=N
// --workloads  only these workloads (loopback ids: 1GiB, 64MiB, 16KiB, 1GiB-single, 16KiB-latency;
//              links: 1GiB, 1GiB-single, 4MiB, 16KiB); or BENCH_WORKLOADS=a,b
//
// Writes bench/results.json (a loopback run replaces the loopback part, a link run its profile's
// entry; a run of a few --workloads replaces only those), docs/PERFORMANCE.md and its charts, and
// prints a table.
// Environment:
//   BENCH_SCALE=small      reduced sizes, 2 repeats, and output to .cache/bench-small/ instead of
//                          bench/ and docs/ (to check the script works)
//   BENCH_COUNT_REQUESTS=0 skip the extra untimed pass that counts each tool's requests (loopback)
//   BENCH_OUT_DIR=dir      write results.json and the docs there instead (trial runs)
//   S3XSYNC_CLI=path       benchmark another build of the CLI instead of dist/cli/s3xsync.js
//   S3XSYNC_CANDIDATE=path also benchmark this build, interleaved with the others ("s3xsync-candidate"),
//   S3XSYNC_CANDIDATE_NOTE="..." and say what it changes: how an engine change is measured before it lands
//   S3XSYNC_BASELINE=path  also benchmark this earlier build ("s3xsync-baseline"), and
//   S3XSYNC_BASELINE_NOTE="..." say which: loopback's "now / before issue 12" targets then compare
//                          with it in the same run instead of with figures taken on another machine
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../scripts/minio-path.mjs";
import { writeProfiles } from "../test/support/cli.js";
import { startFaultProxy } from "../test/support/fault-proxy.js";
import { MiB } from "../test/support/generated-objects.js";
import { checkBinaries, loadAverage, runEnvironment, startBenchContext } from "./bench-context.js";
import { parseLinkRuns, runLinkBench } from "./link-bench.js";
import { renderTable, saveResults, summarize, withLoopback } from "./report.js";
import type { BenchResults, RequestCount, ToolId, WorkloadResult } from "./results-types.js";
import {
  BASELINE,
  CANDIDATE,
  type Context,
  type Endpoints,
  RCLONE_MATCHED_FLAGS,
  runInterleaved,
  runOnce,
  SOURCE_PART_SIZE,
  seed,
  type WorkloadSpec,
} from "./tool-runs.js";

const GiB = 1024 * MiB;

const { values: flags } = parseArgs({
  options: { profiles: { type: "string" }, repeats: { type: "string" }, workloads: { type: "string" } },
});
const small = process.env.BENCH_SCALE === "small";
const repeatsGiven = flags.repeats ?? process.env.BENCH_REPEATS;
const onlyWorkloads = (flags.workloads ?? process.env.BENCH_WORKLOADS)?.split(",").map((s) => s.trim());
const countRequests = process.env.BENCH_COUNT_REQUESTS !== "0";
const outDir =
  process.env.BENCH_OUT_DIR ??
  (small ? join(repoRoot(), ".cache", "bench-small") : join(repoRoot(), "bench"));
const docsDir = process.env.BENCH_OUT_DIR || small ? outDir : join(repoRoot(), "docs");

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
const LATENCY_TOOLS: ToolId[] = [
  "limit-get",
  "limit-put",
  "s3xsync",
  ...(BASELINE ? (["s3xsync-baseline"] as const) : []),
  "rclone-default",
  "rclone-matched",
];
const overLatency = { latencyMs: LATENCY_MS, tools: LATENCY_TOOLS };

// The three workloads, and a single-part 1 GiB source: the engine cuts that one into parts
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

const TOOLS: ToolId[] = [
  "limit-get",
  "limit-put",
  "s5cmd-get",
  "s5cmd-put",
  "s3xsync",
  ...(CANDIDATE ? (["s3xsync-candidate"] as const) : []),
  ...(BASELINE ? (["s3xsync-baseline"] as const) : []),
  "rclone-default",
  "rclone-matched",
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
    "s3xsync sync s3://bench-source/PREFIX s3://TARGET/PREFIX --source-profile source --target-profile target --quiet --json (defaults: 16 parts in flight adapting up to 64, --part-size 8MiB, --retries 4, --stall-timeout 30)",
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

/** What another build benchmarked beside ours is, in the words its environment variable gave. */
function buildNote(variable: string): string {
  return process.env[variable] ?? `(no description given in ${variable})`;
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

/** The loopback bench: every tool straight to both servers (one workload through latency proxies). */
async function loopbackBench(repeats: number): Promise<Omit<BenchResults, "targets">> {
  const startedAt = Date.now();
  const loadBefore = loadAverage();
  console.log(
    `bench: loopback, scale ${small ? "small" : "full"}, ${repeats} repeats, load average ${loadBefore.join(" ")}`,
  );
  const { ctx, stop } = await startBenchContext();
  const workloads: WorkloadResult[] = [];
  try {
    for (const spec of WORKLOADS) {
      if (onlyWorkloads && !onlyWorkloads.includes(spec.id)) continue;
      console.log(`\n${spec.title}: seeding the source...`);
      const seeded = Date.now();
      await seed(spec, ctx.sourceClient, ctx.filesDir);
      console.log(`  seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
      const link = spec.latencyMs === undefined ? undefined : await startProxies(ctx, spec.latencyMs);
      const runs = await runInterleaved(spec, spec.tools ?? TOOLS, repeats, (tool, repeat) =>
        runOnce(tool, spec, repeat, ctx, link?.endpoints),
      );
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
    await stop();
  }
  return {
    generatedAt: new Date().toISOString(),
    scale: small ? "small" : "full",
    repeats,
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    ...runEnvironment(
      loadBefore,
      workloads.flatMap((w) => w.runs),
    ),
    settings: SETTINGS,
    ...(CANDIDATE
      ? { candidate: { path: CANDIDATE, description: buildNote("S3XSYNC_CANDIDATE_NOTE") } }
      : {}),
    ...(BASELINE ? { baseline: { path: BASELINE, description: buildNote("S3XSYNC_BASELINE_NOTE") } } : {}),
    workloads,
  };
}

async function main(): Promise<void> {
  const runs = (flags.profiles ?? "loopback").split(",").map((s) => s.trim());
  const linkRuns = parseLinkRuns(runs.filter((r) => r !== "loopback"));
  const repeatsOf = (fallback: number) => Number(repeatsGiven ?? (small ? 2 : fallback));
  checkBinaries(runs.includes("loopback") ? ["rclone", "s5cmd", "s3raw"] : ["rclone"]);
  const paths = { resultsPath: join(outDir, "results.json"), docsDir };
  if (runs.includes("loopback")) {
    const loopback = await loopbackBench(repeatsOf(5));
    const saved = saveResults(paths, (previous) => withLoopback(previous, { ...loopback, targets: [] }));
    console.log(`\n${renderTable(saved)}`);
  }
  if (linkRuns.length > 0) {
    await runLinkBench(linkRuns, { repeats: repeatsOf(3), small, onlyWorkloads, paths });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error && !process.env.BENCH_DEBUG ? error.message : error);
  process.exit(1);
});
