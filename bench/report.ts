// Turns benchmark runs into summaries, the terminal table, docs/PERFORMANCE.md and the bar chart
// (docs/performance-chart.svg). Pure functions over bench/results.json, so the docs can be rendered
// again from a stored run: `npm run bench:report`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { renderBarChart } from "./bar-chart.js";
import { checkLinkTargets, LINK_CHART, renderLinkChart, renderLinkSection } from "./link-report.js";
import type {
  BenchResults,
  RequestCount,
  RunRecord,
  Spread,
  TargetCheck,
  ToolId,
  ToolSummary,
  WorkloadResult,
} from "./results-types.js";
import { ALL_TOOLS, mergeRerun, TOOL_LABELS } from "./results-types.js";
import { sizingSection } from "./sizing-report.js";

const MiB = 1024 * 1024;

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { median: 0, min: 0, max: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

export interface WorkloadSpecLike {
  id: string;
  informational?: boolean;
  title: string;
  objects: number;
  objectSize: number;
  metric: "mbPerSecond" | "objectsPerSecond";
}

export function summarize(
  spec: WorkloadSpecLike,
  runs: RunRecord[],
  sourceLayout: string,
  requests?: RequestCount[],
  /** The limit when it is known rather than measured by the raw tools (a link's capacity). */
  knownLimit?: number,
): WorkloadResult {
  const tools = ALL_TOOLS.filter((tool) => runs.some((r) => r.tool === tool));
  const summaries: ToolSummary[] = tools.map((tool) => {
    const all = runs.filter((r) => r.tool === tool);
    const ok = all.filter((r) => r.ok);
    return {
      tool,
      runs: all.length,
      failedRuns: all.length - ok.length,
      seconds: spread(ok.map((r) => r.seconds)),
      mbPerSecond: spread(ok.map((r) => r.mbPerSecond)),
      objectsPerSecond: spread(ok.map((r) => r.objectsPerSecond)),
      peakRssBytes: spread(ok.map((r) => r.peakRssBytes)),
      cpuSeconds: spread(ok.map((r) => r.cpuSeconds)),
      serverCpuSeconds: spread(ok.map((r) => r.serverCpuSeconds.source + r.serverCpuSeconds.target)),
      otherCpuSeconds: spread(ok.map((r) => r.otherCpuSeconds)),
    };
  });
  const value = (tool: ToolId) => summaries.find((s) => s.tool === tool)?.[spec.metric].median ?? 0;
  // A copy must read everything and write everything: it cannot beat the slower direction, taken at
  // the best that either raw tool reached.
  const limit =
    knownLimit ??
    Math.min(
      Math.max(value("limit-get"), value("s5cmd-get")),
      Math.max(value("limit-put"), value("s5cmd-put")),
    );
  const ours = value("s3xsync");
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    id: spec.id,
    ...(spec.informational ? { informational: true } : {}),
    title: spec.title,
    objects: spec.objects,
    objectSize: spec.objectSize,
    totalBytes: spec.objects * spec.objectSize,
    sourceLayout,
    metric: spec.metric,
    runs,
    summaries,
    limit,
    ratios: {
      oursOverLimit: ratio(ours, limit),
      oursOverRcloneDefault: ratio(ours, value("rclone-default")),
      oursOverRcloneMatched: ratio(ours, value("rclone-matched")),
      ...(tools.includes("rclone-tuned") ? { oursOverRcloneTuned: ratio(ours, value("rclone-tuned")) } : {}),
    },
    ...(requests ? { requests } : {}),
  };
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);
export const unit = (w: WorkloadResult) => (w.metric === "mbPerSecond" ? "MB/s" : "objects/s");
export const rateDigits = (w: WorkloadResult) => (w.metric === "mbPerSecond" ? 1 : 0);

export function summaryOf(w: WorkloadResult, tool: ToolId): ToolSummary | undefined {
  return w.summaries.find((s) => s.tool === tool);
}

/** The issue's targets, checked against the medians. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const w = (id: string) => results.workloads.find((x) => x.id === id);
  const ratio = (value: number) => `${value.toFixed(2)} x`;
  const big = w("1GiB");
  if (big) {
    checks.push({
      name: `${big.title}: ours / limit`,
      goal: ">= 0.8 x",
      measured: ratio(big.ratios.oursOverLimit),
      met: big.ratios.oursOverLimit >= 0.8,
    });
    checks.push({
      name: `${big.title}: ours / rclone (defaults)`,
      goal: ">= 1.5 x",
      measured: ratio(big.ratios.oursOverRcloneDefault),
      met: big.ratios.oursOverRcloneDefault >= 1.5,
    });
  }
  const mid = w("64MiB");
  if (mid) {
    checks.push({
      name: `${mid.title}: ours / limit`,
      goal: ">= 0.8 x",
      measured: ratio(mid.ratios.oursOverLimit),
      met: mid.ratios.oursOverLimit >= 0.8,
    });
  }
  const tiny = w("16KiB");
  if (tiny) {
    checks.push({
      name: `${tiny.title}: ours / rclone (defaults), objects/s`,
      goal: ">= 2 x",
      measured: ratio(tiny.ratios.oursOverRcloneDefault),
      met: tiny.ratios.oursOverRcloneDefault >= 2,
    });
  }
  for (const workload of results.workloads) {
    const ours = summaryOf(workload, "s3xsync");
    if (!ours) continue;
    checks.push({
      name: `${workload.title}: s3xsync peak RSS (highest run)`,
      goal: "< 200 MiB",
      measured: `${fmt(ours.peakRssBytes.max / MiB, 0)} MiB`,
      met: ours.peakRssBytes.max > 0 && ours.peakRssBytes.max < 200 * MiB,
    });
    if (ours.failedRuns > 0) {
      checks.push({
        name: `${workload.title}: s3xsync runs that failed or copied wrongly`,
        goal: "0",
        measured: String(ours.failedRuns),
        met: false,
      });
    }
  }
  return checks;
}

/** The plain-text table printed at the end of a run. */
export function renderTable(results: BenchResults): string {
  const lines: string[] = [];
  const header = [
    "tool".padEnd(34),
    "median s".padStart(9),
    "rate (median, min-max)".padStart(30),
    "peak RSS".padStart(10),
    "CPU s".padStart(7),
    "vs limit".padStart(9),
    "ours vs".padStart(8),
  ].join(" ");
  for (const w of results.workloads) {
    const ceiling = copyCeiling(w, results.machine.cores);
    lines.push(
      `${w.title} (${w.sourceLayout}; limit = ${fmt(w.limit, rateDigits(w))} ${unit(w)}` +
        `${ceiling ? `; servers' CPU allow a copy at most ${fmt(ceiling, rateDigits(w))} ${unit(w)}` : ""})`,
    );
    lines.push(header);
    const ours = summaryOf(w, "s3xsync")?.[w.metric].median ?? 0;
    for (const s of w.summaries) {
      const rate = s[w.metric];
      const d = rateDigits(w);
      lines.push(
        [
          TOOL_LABELS[s.tool].padEnd(34),
          fmt(s.seconds.median, 2).padStart(9),
          `${fmt(rate.median, d)} (${fmt(rate.min, d)}-${fmt(rate.max, d)}) ${unit(w)}`.padStart(30),
          `${fmt(s.peakRssBytes.median / MiB, 0)} MiB`.padStart(10),
          fmt(s.cpuSeconds.median, 1).padStart(7),
          `${fmt(w.limit > 0 ? rate.median / w.limit : 0, 2)}`.padStart(9),
          (s.tool.startsWith("rclone") && rate.median > 0 ? `${fmt(ours / rate.median, 2)} x` : "").padStart(
            8,
          ),
        ].join(" ") + (s.failedRuns ? `  (${s.failedRuns} of ${s.runs} runs failed)` : ""),
      );
    }
    lines.push("");
  }
  lines.push("targets:");
  for (const t of results.targets) {
    lines.push(`  ${t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured} (goal ${t.goal})`);
  }
  const m = results.machine;
  lines.push(
    "",
    `machine: ${m.cpuModel}, ${m.cores} cores, ${fmt(m.memoryBytes / 1024 ** 3, 0)} GiB; load average ` +
      `${m.loadAverageBefore.join(" ")} before, ${m.loadAverageAfter.join(" ")} after; CPUs busy ` +
      `${fmt(m.medianMachineBusyShare * 100, 0)}% (median of runs), of which other processes ` +
      `${fmt(m.medianOtherCpuShare * 100, 0)}%`,
  );
  return lines.join("\n");
}

export const COLORS: Record<ToolId, string> = {
  "limit-get": "#7d8894",
  "limit-put": "#a9b3bd",
  "s5cmd-get": "#c7ced6",
  "s5cmd-put": "#dde2e7",
  s3xsync: "#1f6feb",
  "s3xsync-candidate": "#7aa7f0",
  "s3xsync-baseline": "#9bb0c8",
  "rclone-default": "#e3872d",
  "rclone-matched": "#f0b37e",
  "rclone-tuned": "#b5651d",
};

/** A horizontal bar chart per workload: median as the bar, min-max as a whisker. */
export function renderChart(results: BenchResults): string {
  const m = results.machine;
  return renderBarChart({
    title: "s3xsync vs rclone and the servers' raw limit",
    subtitle: `medians of ${results.repeats} runs, whiskers min-max; longer is better`,
    footer:
      `${m.cores} cores (${m.cpuModel}), client and both MinIO servers on one host; ` +
      `CPUs ${fmt(m.medianMachineBusyShare * 100, 0)}% busy, ${fmt(m.medianOtherCpuShare * 100, 0)}% by other processes; ${results.generatedAt.slice(0, 10)}`,
    label: `Throughput of s3xsync, rclone and the servers' raw limit per workload (${results.generatedAt.slice(0, 10)})`,
    panels: results.workloads.map((w) => ({
      title: `${w.title} (${unit(w)})`,
      digits: rateDigits(w),
      bars: w.summaries.map((s) => ({
        label: TOOL_LABELS[s.tool],
        color: COLORS[s.tool],
        ...s[w.metric],
        ...(s.failedRuns ? { note: " (runs failed)" } : {}),
      })),
    })),
  });
}

export function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    // The first column names the row; the others are numbers (or short verdicts).
    line(head.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...rows.map(line),
  ].join("\n");
}

/**
 * Where the CPU went, per GB (large objects) or per 1,000 objects (small ones), medians: the tool,
 * both servers, and what the machine could do if that were all it ran (the CPU-bound ceiling).
 */
function cpuTable(w: WorkloadResult, cores: number): string {
  const perUnit = w.metric === "mbPerSecond" ? w.totalBytes / 1e9 : w.objects / 1000;
  const unitName = w.metric === "mbPerSecond" ? "GB" : "1,000 objects";
  const rows = w.summaries.map((s) => {
    const tool = s.cpuSeconds.median / perUnit;
    const servers = s.serverCpuSeconds.median / perUnit;
    const total = tool + servers;
    // cores / (CPU-s per GB) is GB/s; cores / (CPU-s per 1,000 objects) is thousands of objects/s.
    const ceiling = total > 0 ? (cores / total) * 1000 : 0;
    return [
      TOOL_LABELS[s.tool],
      fmt(tool, 2),
      fmt(servers, 2),
      fmt(total, 2),
      `${fmt(ceiling, 0)} ${unit(w)}`,
      fmt(s.otherCpuSeconds.median, 1),
    ];
  });
  return (
    `CPU per ${unitName} (medians): the tool's own, both MinIO servers', and the rate ${cores} cores would allow if ` +
    "nothing else ran (cores / CPU per unit). Other processes on the machine took the last column's CPU-seconds during a run.\n\n" +
    mdTable(
      ["tool", "tool CPU-s", "MinIO CPU-s", "total CPU-s", "CPU-bound ceiling", "other processes CPU-s"],
      rows,
    ) +
    "\n"
  );
}

/**
 * What a copy could reach on this machine with a client that cost no CPU at all: the source server
 * must serve (its CPU in the GET-only run) and the target server must store (its CPU in the PUT-only
 * run) every byte, on the same cores at the same time.
 */
export function copyCeiling(w: WorkloadResult, cores: number): number | undefined {
  const get = w.summaries.find((s) => s.tool === "limit-get");
  const put = w.summaries.find((s) => s.tool === "limit-put");
  if (!get || !put) return undefined;
  const perUnit = w.metric === "mbPerSecond" ? w.totalBytes / 1e9 : w.objects / 1000;
  const serverCpu = (get.serverCpuSeconds.median + put.serverCpuSeconds.median) / perUnit;
  return serverCpu > 0 ? (cores / serverCpu) * 1000 : undefined;
}

function copyCeilingText(w: WorkloadResult, cores: number): string {
  const ceiling = copyCeiling(w, cores);
  const ours = summaryOf(w, "s3xsync")?.[w.metric].median ?? 0;
  if (!ceiling) return "";
  return (
    ` Both servers together need ${cores} cores for ${fmt(ceiling, rateDigits(w))} ${unit(w)} (their CPU per unit in the ` +
    `GET-only and PUT-only runs): the most any copy could reach here with a client that cost no CPU at all; ` +
    `s3xsync reached ${fmt(ceiling > 0 ? ours / ceiling : 0, 2)} of that.`
  );
}

function requestTable(w: WorkloadResult): string {
  if (!w.requests?.length) return "";
  const ops = [
    ...new Set(
      w.requests.flatMap((r) => [...Object.keys(r.source), ...Object.keys(r.target)].map((op) => op)),
    ),
  ].sort();
  const head = ["tool", "requests", "per object", ...ops.map((op) => op)];
  const rows = w.requests.map((r) => [
    TOOL_LABELS[r.tool],
    String(r.total),
    fmt(r.perObject, 1),
    ...ops.map((op) => String((r.source[op] ?? 0) + (r.target[op] ?? 0))),
  ]);
  return `Requests per tool (one extra run through a pass-through counting proxy, not timed; source and target together):\n\n${mdTable(head, rows)}\n`;
}

/** Which workloads a later run of other --workloads kept, and from which run. */
/** Names the workloads an earlier run measured, with when and (for a link profile) on which CPU. */
export function keptWorkloads(workloads: WorkloadResult[]): string {
  const runs = new Map<string, { from: NonNullable<WorkloadResult["keptFrom"]>; titles: string[] }>();
  for (const w of workloads) {
    if (!w.keptFrom) continue;
    const run = runs.get(w.keptFrom.generatedAt) ?? { from: w.keptFrom, titles: [] };
    run.titles.push(w.title);
    runs.set(w.keptFrom.generatedAt, run);
  }
  return [...runs.values()]
    .map(({ from, titles }) => {
      const on = from.cpuModel ? ` on ${from.cpuModel}` : "";
      const repeats = `${from.repeats} run${from.repeats === 1 ? "" : "s"} of each tool`;
      return ` From the run of ${from.generatedAt.slice(0, 16).replace("T", " ")} UTC${on} (${repeats}), kept: ${titles.join("; ")}.`;
    })
    .join("");
}

export function renderMarkdown(
  results: BenchResults,
  chartRelative: string,
  resultsRelative: string,
): string {
  const m = results.machine;
  const out: string[] = [
    "# Performance",
    "",
    `<!-- Generated by \`npm run bench\` (bench/run-bench.ts) from ${resultsRelative}; do not edit by hand ` +
      "(the analysis comes from bench/analysis.md). -->",
    "",
    `Measured ${results.generatedAt.slice(0, 16).replace("T", " ")} UTC, ${results.repeats} runs of each tool per workload, ` +
      `interleaved; ${results.scale === "small" ? "**small scale** (reduced sizes)" : "full scale"}; the whole run took ` +
      `${fmt(results.durationSeconds / 60, 0)} min.${keptWorkloads(results.workloads)}`,
    "",
    `![throughput chart](${chartRelative})`,
    "",
    "## Targets",
    "",
    mdTable(
      ["target", "goal", "measured (medians)", "met"],
      results.targets.map((t) => [t.name, t.goal, t.measured, t.met ? "yes" : "**no**"]),
    ),
    "",
    "## Results",
    "",
    "Rates are 10^6 bytes per second (MB/s) or objects per second, from wall time (spawn to exit, process",
    "start included). The limit is the slower of GET-only from the source and PUT-only to the target of",
    "the same data, each the better of bench/s3raw (minio-go, unsigned payloads, no MD5) and s5cmd: a copy",
    "must do both, so it cannot beat the slower. (s5cmd signs every payload with SHA-256 over plain http,",
    "which makes its PUT-only runs bound by its own CPU; that is why s3raw exists.) Peak RSS is the tool",
    "process's VmHWM; CPU is the tool's own user + system time; MinIO CPU is both servers' during the run.",
    "",
  ];
  for (const w of results.workloads) {
    const d = rateDigits(w);
    const ours = summaryOf(w, "s3xsync")?.[w.metric].median ?? 0;
    out.push(
      `### ${w.title}`,
      "",
      `${w.objects} x ${w.objectSize >= MiB ? `${w.objectSize / MiB} MiB` : `${w.objectSize / 1024} KiB`} ` +
        `(${fmt(w.totalBytes / 1e6, 0)} MB), source uploaded as ${w.sourceLayout}. Limit: ${fmt(w.limit, d)} ${unit(w)}. ` +
        `s3xsync / limit = ${fmt(w.ratios.oursOverLimit, 2)}, / rclone defaults = ${fmt(w.ratios.oursOverRcloneDefault, 2)}, ` +
        `/ rclone at our parallelism = ${fmt(w.ratios.oursOverRcloneMatched, 2)}.` +
        copyCeilingText(w, results.machine.cores),
      "",
      mdTable(
        [
          "tool",
          "median time (s)",
          `${unit(w)} median`,
          "min-max",
          "peak RSS (MiB)",
          "CPU (s)",
          "MinIO CPU (s)",
          "other CPU (s)",
          "/ limit",
          "s3xsync / this",
        ],
        w.summaries.map((s) => {
          const rate = s[w.metric];
          return [
            TOOL_LABELS[s.tool] + (s.failedRuns ? ` (${s.failedRuns}/${s.runs} runs failed)` : ""),
            fmt(s.seconds.median, 2),
            fmt(rate.median, d),
            `${fmt(rate.min, d)}-${fmt(rate.max, d)}`,
            fmt(s.peakRssBytes.median / MiB, 0),
            fmt(s.cpuSeconds.median, 1),
            fmt(s.serverCpuSeconds.median, 1),
            fmt(s.otherCpuSeconds.median, 1),
            fmt(w.limit > 0 ? rate.median / w.limit : 0, 2),
            s.tool === "s3xsync" || rate.median === 0 ? "" : fmt(ours / rate.median, 2),
          ];
        }),
      ),
      "",
      cpuTable(w, results.machine.cores),
      requestTable(w),
    );
    const failed = w.runs.filter((r) => !r.ok);
    if (failed.length) {
      out.push(
        "Runs that did not count:",
        "",
        ...failed.map((r) => `- ${r.tool} #${r.repeat}: ${r.problem}`),
        "",
      );
    }
  }
  if (results.candidate) {
    out.push(
      "## Proposed engine changes (candidate build)",
      "",
      `The rows "${TOOL_LABELS["s3xsync-candidate"]}" are a build of the CLI with changes proposed to the engine ` +
        `owner, run interleaved with the others in the same run: ${results.candidate.description}`,
      "",
    );
  }
  if (results.baseline) {
    out.push(
      "## An earlier build (baseline)",
      "",
      `The rows "${TOOL_LABELS["s3xsync-baseline"]}" are an earlier build of the CLI, run interleaved with the ` +
        `others in the same run, so that a change of machine does not pass for a change of speed: ${results.baseline.description}`,
      "",
    );
  }
  const analysis = analysisText();
  if (analysis) out.push(analysis.trim(), "");
  if (results.links?.length) out.push(renderLinkSection(results), "");
  out.push(
    "## Machine, load and versions",
    "",
    `- ${m.cpuModel}, ${m.cores} cores, ${fmt(m.memoryBytes / 1024 ** 3, 0)} GiB RAM, Linux ${m.kernel}.`,
    `- Load average ${m.loadAverageBefore.join(" / ")} before the run, ${m.loadAverageAfter.join(" / ")} after.`,
    `- During the timed runs the CPUs were ${fmt(m.medianMachineBusyShare * 100, 0)}% busy (median), ` +
      `${fmt(m.medianOtherCpuShare * 100, 0)}% of it by processes other than the tool and the two servers. ${m.note}.`,
    ...Object.entries(results.versions).map(([k, v]) => `- ${k}: ${v}`),
    "",
    "Settings:",
    "",
    ...Object.entries(results.settings).map(([k, v]) => `- ${k}: \`${v}\``),
    "",
    "## Reproduce",
    "",
    "```sh",
    "npm ci",
    "npm run bench                       # builds, installs MinIO, rclone, s5cmd and s3raw into .cache/bin, runs, writes this file",
    "BENCH_SCALE=small npm run bench     # reduced sizes, 2 repeats, output in .cache/bench-small/ (checks the setup)",
    "BENCH_REPEATS=3 BENCH_WORKLOADS=16KiB npm run bench",
    "npm run bench:report                # render this file and the chart again from bench/results.json",
    '# the build from before issue 12 beside ours (the loopback rows "now / the baseline build"):',
    "git worktree add .cache/baseline c925bb3 && (cd .cache/baseline && npm ci && npm run build)",
    'S3XSYNC_BASELINE=.cache/baseline/dist/cli/s3xsync.js S3XSYNC_BASELINE_NOTE="c925bb3, 2026-11-26" npm run bench',
    "```",
    "",
    "Everything runs on 127.0.0.1: two MinIO servers with different keys and regions (cn-north-1 and",
    "us-east-1) stand in for the two partitions; tmpfs (/dev/shm) holds the files of the GET-only and",
    "PUT-only runs. On a 2-core machine the client and both servers compete for the same cores, so the",
    "absolute numbers say more about CPU cost than about a network link; the ratios between tools, measured",
    "in the same run and interleaved, are the comparison.",
    "",
    sizingSection(),
    "",
  );
  return out.join("\n");
}

const repoRootDir = join(import.meta.dirname, "..");

/** Writes JSON as the repository's formatter (biome) wants it, so `npx biome check .` stays clean. */
export function writeFormattedJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  const biome = join(import.meta.dirname, "..", "node_modules", ".bin", "biome");
  // Files outside the repository, or git-ignored ones, are left as they are (biome skips them).
  if (existsSync(biome)) spawnSync(biome, ["format", "--write", path], { stdio: "ignore" });
}

/** A hand-written analysis (bench/analysis.md, bench/link-analysis.md), included in PERFORMANCE.md as it is. */
export function analysisText(name = "analysis.md"): string | undefined {
  const file = join(import.meta.dirname, name);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** Fills in the target checks and writes docs/PERFORMANCE.md and the charts. */
export function writePerformanceDocs(
  input: BenchResults,
  paths: { resultsPath: string; docsDir: string },
): { results: BenchResults; markdownPath: string; chartPath: string } {
  const results = { ...input, targets: checkTargets(input), linkTargets: checkLinkTargets(input) };
  mkdirSync(paths.docsDir, { recursive: true });
  const chartPath = join(paths.docsDir, "performance-chart.svg");
  const markdownPath = join(paths.docsDir, "PERFORMANCE.md");
  writeFileSync(chartPath, renderChart(results));
  if (results.links?.length) writeFileSync(join(paths.docsDir, LINK_CHART), renderLinkChart(results));
  writeFileSync(
    markdownPath,
    renderMarkdown(results, "performance-chart.svg", relative(repoRootDir, paths.resultsPath)),
  );
  return { results, markdownPath, chartPath };
}

type ResultsPaths = { resultsPath: string; docsDir: string };

/** Reads results.json (if any), applies `update`, writes it and the docs again; returns what was written. */
export function saveResults(
  paths: ResultsPaths,
  update: (previous: BenchResults | undefined) => BenchResults,
): BenchResults {
  const previous = existsSync(paths.resultsPath)
    ? (JSON.parse(readFileSync(paths.resultsPath, "utf8")) as BenchResults)
    : undefined;
  const docs = writePerformanceDocs(update(previous), paths);
  writeFormattedJson(paths.resultsPath, docs.results);
  console.log(`wrote ${paths.resultsPath}, ${docs.markdownPath}, ${docs.chartPath}`);
  return docs.results;
}

/**
 * A new loopback run, keeping the link results, and the s3xsync medians of the first loopback run
 * it replaced: the figures the loopback target of issue 12 compares against.
 */
export function withLoopback(previous: BenchResults | undefined, loopback: BenchResults): BenchResults {
  const baseline =
    previous?.loopbackBaseline ??
    (previous?.workloads.length
      ? {
          generatedAt: previous.generatedAt,
          s3xsync: Object.fromEntries(
            previous.workloads.map((w) => [w.id, summaryOf(w, "s3xsync")?.[w.metric].median ?? 0]),
          ),
        }
      : undefined);
  const workloads = mergeRerun(
    previous?.workloads ?? [],
    loopback.workloads,
    previous && { generatedAt: previous.generatedAt, repeats: previous.repeats },
  );
  return {
    ...loopback,
    workloads,
    ...(previous?.links ? { links: previous.links } : {}),
    ...(baseline ? { loopbackBaseline: baseline } : {}),
  };
}
