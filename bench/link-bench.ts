// The bench on the link profiles (issue 12): the source and target MinIO servers on this host, the
// link model (test/support/link-model.ts) between the copy host and the target (a function in China
// writing to Global) or, for `NAME:source`, between the copy host and the source. s3xsync at its
// defaults, rclone at its defaults and rclone tuned for a long link run interleaved, each run
// through a fresh link with the same seed per repeat, so each tool meets the same resets and stalls
// at the same byte counts. The limit is the link's capacity (the profile's linkRate: the model's
// spec proves N connections get min(N x cap, link) within 10 %).
import { writeProfiles } from "../test/support/cli.js";
import { MiB } from "../test/support/generated-objects.js";
import {
  LINK_PROFILES,
  type LinkProfile,
  type LinkProfileName,
  startLinkModel,
} from "../test/support/link-model.js";
import { loadAverage, runEnvironment, startBenchContext } from "./bench-context.js";
import { renderLinkTable, withLink } from "./link-report.js";
import { saveResults, summarize } from "./report.js";
import type { LinkProfileResult, RunRecord, ToolId } from "./results-types.js";
import {
  type Context,
  RCLONE_TUNED_FLAGS,
  runInterleaved,
  runOnce,
  SOURCE_PART_SIZE,
  seed,
  type WorkloadSpec,
} from "./tool-runs.js";

const GiB = 1024 * MiB;
const MB = 1_000_000;
const TOOLS: ToolId[] = ["s3xsync", "rclone-default", "rclone-tuned"];

export interface LinkRun {
  /** "cross-border" or "cross-border (source side)". */
  name: string;
  profile: Exclude<LinkProfileName, "loopback">;
  side: "target" | "source";
}

const linkWorkload = (
  id: string,
  title: string,
  objects: number,
  objectSize: number,
  multipart: boolean,
) => ({
  id,
  title,
  prefix: `link-${id.toLowerCase()}/`,
  objects,
  objectSize,
  multipart,
  metric: objectSize >= MiB ? ("mbPerSecond" as const) : ("objectsPerSecond" as const),
});

function workloads(small: boolean): WorkloadSpec[] {
  return small
    ? [
        linkWorkload("1GiB", "1 object of 64 MiB (small scale)", 1, 64 * MiB, true),
        linkWorkload("1GiB-single", "1 object of 64 MiB in one piece (small scale)", 1, 64 * MiB, false),
        linkWorkload("4MiB", "16 objects of 4 MiB (small scale)", 16, 4 * MiB, false),
        linkWorkload("16KiB", "200 objects of 16 KiB (small scale)", 200, 16 * 1024, false),
      ]
    : [
        linkWorkload("1GiB", "1 object of 1 GiB", 1, GiB, true),
        linkWorkload("1GiB-single", "1 object of 1 GiB uploaded in one piece", 1, GiB, false),
        linkWorkload("4MiB", "64 objects of 4 MiB", 64, 4 * MiB, false),
        linkWorkload("16KiB", "1,000 objects of 16 KiB", 1000, 16 * 1024, false),
      ];
}

/** `cross-border`, `long-fat:source`, ... into runs; throws one line naming a bad entry. */
export function parseLinkRuns(entries: string[]): LinkRun[] {
  const names = Object.keys(LINK_PROFILES).filter((p) => p !== "loopback");
  return entries.map((entry) => {
    const [profile = "", side = "target", ...rest] = entry.split(":");
    if (!names.includes(profile) || !["target", "source"].includes(side) || rest.length > 0) {
      throw new Error(
        `--profiles: '${entry}' is not loopback or one of ${names.join(", ")} (optionally :source for the link on the source side)`,
      );
    }
    return {
      name: side === "source" ? `${profile} (source side)` : profile,
      profile: profile as LinkRun["profile"],
      side: side as LinkRun["side"],
    };
  });
}

/** One run of a tool through a fresh link model in front of the run's side. */
async function runOverLink(
  tool: ToolId,
  spec: WorkloadSpec,
  repeat: number,
  ctx: Context,
  run: LinkRun,
): Promise<RunRecord> {
  const behind = run.side === "target" ? ctx.target : ctx.source;
  const model = await startLinkModel({
    upstream: behind.endpoint,
    profile: run.profile,
    seed: `${run.name}:${spec.id}:${repeat}`,
  });
  const linked = { ...behind, endpoint: model.endpoint };
  const source = run.side === "source" ? linked : ctx.source;
  const target = run.side === "target" ? linked : ctx.target;
  const profiles = await writeProfiles(source, target);
  try {
    const record = await runOnce(tool, spec, repeat, ctx, { source, target, profiles });
    const s = model.stats();
    const link = {
      connections: s.connections,
      peakConnections: s.peakConnections,
      bytes: s.bytesUp + s.bytesDown,
      resets: s.resets,
      stalls: s.stalls,
    };
    return { ...record, link };
  } finally {
    await profiles.cleanup();
    await model.close();
  }
}

function entryOf(run: LinkRun, repeats: number, small: boolean): LinkProfileResult {
  const settings: LinkProfile = LINK_PROFILES[run.profile];
  return {
    name: run.name,
    profile: run.profile,
    side: run.side,
    rttMs: settings.rttMs ?? 0,
    connectionMBps: (settings.connectionRate ?? 0) / MB,
    linkMBps: (settings.linkRate ?? 0) / MB,
    settings,
    generatedAt: new Date().toISOString(),
    scale: small ? "small" : "full",
    repeats,
    durationSeconds: 0,
    machine: runEnvironment(loadAverage(), []).machine,
    versions: {},
    commands: {
      s3xsync: "s3xsync sync s3://bench-source/PREFIX s3://TARGET/PREFIX --quiet --json (defaults)",
      "rclone-default": "rclone copy src:bench-source/PREFIX dst:TARGET/PREFIX (defaults)",
      "rclone-tuned": `rclone copy src:bench-source/PREFIX dst:TARGET/PREFIX ${RCLONE_TUNED_FLAGS.join(" ")}`,
    },
    workloads: [],
  };
}

export interface LinkBenchOptions {
  repeats: number;
  small: boolean;
  onlyWorkloads?: string[];
  paths: { resultsPath: string; docsDir: string };
}

/**
 * Seeds the source once, then runs each link profile's workloads; each profile's entry in
 * results.json is saved after every workload, so a run stopped early keeps what it finished.
 */
export async function runLinkBench(runs: LinkRun[], options: LinkBenchOptions): Promise<void> {
  const specs = workloads(options.small).filter(
    (w) => !options.onlyWorkloads || options.onlyWorkloads.includes(w.id),
  );
  console.log(
    `bench: links ${runs.map((r) => r.name).join(", ")}; ${specs.map((s) => s.id).join(", ")}; ` +
      `${options.repeats} repeats, load average ${loadAverage().join(" ")}`,
  );
  const { ctx, stop } = await startBenchContext();
  try {
    for (const spec of specs) {
      const seeded = Date.now();
      await seed(spec, ctx.sourceClient);
      console.log(`seeded ${spec.title} in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    }
    for (const run of runs) {
      const startedAt = Date.now();
      const loadBefore = loadAverage();
      const entry = entryOf(run, options.repeats, options.small);
      for (const spec of specs) {
        console.log(`\n${run.name}: ${spec.title}`);
        const records = await runInterleaved(spec, TOOLS, options.repeats, (tool, repeat) =>
          runOverLink(tool, spec, repeat, ctx, run),
        );
        const layout = spec.multipart ? `multipart, ${SOURCE_PART_SIZE / MiB} MiB parts` : "single PUT";
        const capacity = spec.metric === "mbPerSecond" ? entry.linkMBps : 0;
        entry.workloads.push(summarize(spec, records, layout, undefined, capacity));
        const environment = runEnvironment(
          loadBefore,
          entry.workloads.flatMap((w) => w.runs),
        );
        Object.assign(entry, environment, { durationSeconds: Math.round((Date.now() - startedAt) / 1000) });
        saveResults(options.paths, (previous) => withLink(previous, entry));
      }
      console.log(`\n${renderLinkTable(entry)}`);
    }
  } finally {
    await stop();
  }
}
