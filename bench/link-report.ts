// The "Across the border" part of docs/PERFORMANCE.md, docs/performance-links.svg and the terminal
// table of a link run (bench/link-bench.ts): issue 12's targets checked against the medians, and
// for each missed one what the runs measured about it (connections held, resets, stalls, CPU).
import { renderBarChart } from "./bar-chart.js";
import {
  analysisText,
  COLORS,
  fmt,
  keptWorkloads,
  mdTable,
  rateDigits,
  spread,
  summaryOf,
  unit,
} from "./report.js";
import type {
  BenchResults,
  LinkProfileResult,
  RunRecord,
  TargetCheck,
  ToolId,
  ToolSummary,
  WorkloadResult,
} from "./results-types.js";
import { mergeRerun, TOOL_LABELS } from "./results-types.js";

const MiB = 1024 * 1024;
export const LINK_CHART = "performance-links.svg";
const LINK_TOOLS: ToolId[] = ["s3xsync", "rclone-default", "rclone-tuned"];
const RSS_LIMIT = 256 * MiB;

const x = (value: number) => `${value.toFixed(2)} x`;
const median = (values: number[]) => spread(values).median;

interface Goal {
  what: string;
  goal: string;
  value: (w: WorkloadResult) => number | undefined;
  min: number;
}

const ourLink: Goal = {
  what: "ours / link",
  goal: ">= 0.85 x",
  value: (w) => w.ratios.oursOverLimit,
  min: 0.85,
};
const oneLargeObject: Goal[] = [
  ourLink,
  { what: "ours / rclone (tuned)", goal: ">= 1 x", value: (w) => w.ratios.oursOverRcloneTuned, min: 1 },
  { what: "ours / rclone (defaults)", goal: ">= 3 x", value: (w) => w.ratios.oursOverRcloneDefault, min: 3 },
];

/** Issue 12's throughput targets per workload id (medians, s3xsync at its defaults). */
const GOALS: Record<string, Goal[]> = {
  "1GiB": oneLargeObject,
  "1GiB-single": oneLargeObject,
  "4MiB": [ourLink],
  "16KiB": [
    {
      what: "ours / rclone (defaults), objects/s",
      goal: ">= 10 x",
      value: (w) => w.ratios.oursOverRcloneDefault,
      min: 10,
    },
    {
      what: "ours / rclone (tuned), objects/s",
      goal: ">= 2 x",
      value: (w) => w.ratios.oursOverRcloneTuned,
      min: 2,
    },
  ],
};

/** Issue 12's targets: per WAN profile and workload, peak RSS, failed runs, and loopback held. */
export function checkLinkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const entry of results.links ?? []) {
    for (const w of entry.workloads) {
      const ours = summaryOf(w, "s3xsync");
      if (!ours) continue;
      for (const goal of GOALS[w.id] ?? []) {
        const value = goal.value(w) ?? 0;
        checks.push({
          name: `${entry.name}, ${w.title}: ${goal.what}`,
          goal: goal.goal,
          measured: x(value),
          met: value >= goal.min,
        });
      }
      checks.push({
        name: `${entry.name}, ${w.title}: s3xsync peak RSS (highest run)`,
        goal: "< 256 MiB",
        measured: `${fmt(ours.peakRssBytes.max / MiB, 0)} MiB`,
        met: ours.peakRssBytes.max > 0 && ours.peakRssBytes.max < RSS_LIMIT,
      });
      if (ours.failedRuns > 0) {
        checks.push({
          name: `${entry.name}, ${w.title}: s3xsync runs that failed or copied wrongly`,
          goal: "0",
          measured: String(ours.failedRuns),
          met: false,
        });
      }
    }
  }
  const stored = results.loopbackBaseline;
  for (const w of results.workloads) {
    const now = summaryOf(w, "s3xsync")?.[w.metric].median ?? 0;
    // The build from before issue 12 run beside ours is the fair comparison; the figures stored
    // from the first loopback run were measured on whatever machine ran it.
    const sameRun = summaryOf(w, "s3xsync-baseline")?.[w.metric].median;
    const before =
      sameRun ?? (stored && stored.generatedAt !== results.generatedAt ? stored.s3xsync[w.id] : undefined);
    if (!before) continue;
    const against = sameRun
      ? "the baseline build in the same run"
      : `before issue 12 (${stored?.generatedAt.slice(0, 10)})`;
    checks.push({
      name: `loopback, ${w.title}: s3xsync now / ${against}`,
      goal: ">= 0.90 x",
      measured: `${x(now / before)} (${fmt(now, rateDigits(w))} vs ${fmt(before, rateDigits(w))} ${unit(w)})`,
      met: now / before >= 0.9,
    });
  }
  return checks;
}

/** The median of a link counter over a tool's good runs. */
function linkMedian(w: WorkloadResult, tool: ToolId, pick: (r: NonNullable<RunRecord["link"]>) => number) {
  return median(
    w.runs
      .filter((r) => r.tool === tool && r.ok && r.link)
      .map((r) => pick(r.link as NonNullable<RunRecord["link"]>)),
  );
}

/** What the runs measured about a workload: the facts a missed target is explained by. */
function measuredLimits(entry: LinkProfileResult, w: WorkloadResult): string {
  const ours = summaryOf(w, "s3xsync") as ToolSummary;
  const peak = linkMedian(w, "s3xsync", (l) => l.peakConnections);
  const tunedPeak = linkMedian(w, "rclone-tuned", (l) => l.peakConnections);
  const resets = linkMedian(w, "s3xsync", (l) => l.resets);
  const stalls = linkMedian(w, "s3xsync", (l) => l.stalls);
  const core = ours.seconds.median > 0 ? ours.cpuSeconds.median / ours.seconds.median : 0;
  const busy = median(w.runs.filter((r) => r.tool === "s3xsync").map((r) => r.machineBusyShare));
  const reach = Math.min(peak * entry.connectionMBps, entry.linkMBps);
  const parts = [
    `s3xsync held at most ${fmt(peak, 0)} connections through the link (median of runs; rclone tuned ${fmt(tunedPeak, 0)})`,
    ...(w.metric === "mbPerSecond"
      ? [
          `at ${fmt(entry.connectionMBps, 0)} MB/s each that allows ${fmt(reach, 1)} MB/s of the link's ${fmt(entry.linkMBps, 0)}; it reached ${fmt(ours.mbPerSecond.median, 1)}`,
        ]
      : [`${fmt((ours.cpuSeconds.median / w.objects) * 1000, 2)} CPU-ms per object`]),
    `${fmt(resets, 0)} resets and ${fmt(stalls, 0)} stalls per run`,
    `its CPU ${fmt(ours.cpuSeconds.median, 1)} s in ${fmt(ours.seconds.median, 1)} s (${fmt(core * 100, 0)} % of one core), machine ${fmt(busy * 100, 0)} % busy`,
  ];
  return `${parts.join("; ")}.`;
}

function profileTable(entry: LinkProfileResult): string {
  const rows = entry.workloads.map((w) => {
    const d = rateDigits(w);
    const rate = (tool: ToolId) => {
      const s = summaryOf(w, tool);
      if (!s) return "-";
      const r = s[w.metric];
      return `${fmt(r.median, d)} (${fmt(r.min, d)}-${fmt(r.max, d)})${s.failedRuns ? ` ${s.failedRuns}/${s.runs} failed` : ""}`;
    };
    const ours = summaryOf(w, "s3xsync");
    return [
      `${w.title} (${unit(w)})`,
      String(ours?.runs ?? 0),
      w.limit > 0 ? fmt(w.limit, d) : "-",
      rate("s3xsync"),
      rate("rclone-default"),
      rate("rclone-tuned"),
      w.limit > 0 ? fmt(w.ratios.oursOverLimit, 2) : "-",
      fmt(w.ratios.oursOverRcloneDefault, 2),
      fmt(w.ratios.oursOverRcloneTuned ?? 0, 2),
      ours ? fmt(ours.peakRssBytes.max / MiB, 0) : "-",
      fmt(
        linkMedian(w, "s3xsync", (l) => l.peakConnections),
        0,
      ),
    ];
  });
  return mdTable(
    [
      "workload",
      "runs per tool",
      "link",
      "s3xsync (min-max)",
      "rclone defaults",
      "rclone tuned",
      "ours / link",
      "ours / defaults",
      "ours / tuned",
      "s3xsync peak RSS (MiB)",
      "s3xsync peak connections",
    ],
    rows,
  );
}

function profileHeader(entry: LinkProfileResult): string {
  const s = entry.settings as {
    resetEveryBytes?: number;
    stalls?: { perBurst?: number; durationMs?: unknown };
  };
  const faults = [
    ...(s.resetEveryBytes ? [`a reset every ~${fmt(s.resetEveryBytes / 1e6, 0)} MB`] : []),
    ...(s.stalls
      ? [
          `${fmt((s.stalls.perBurst ?? 0) * 100, 1)} % of bursts each way stall ${JSON.stringify(s.stalls.durationMs)} ms`,
        ]
      : []),
  ];
  const m = entry.machine;
  return (
    `RTT ${entry.rttMs} ms, ${fmt(entry.connectionMBps, 0)} MB/s per connection, ${fmt(entry.linkMBps, 0)} MB/s link` +
    `${faults.length ? `, ${faults.join(", ")}` : ""}; the link between the copy host and the **${entry.side}**. ` +
    `${entry.scale === "full" ? "Full" : "Small"} scale; the latest run (${entry.repeats} of each tool per workload) started ` +
    // Profiles run on different days may have run on different machines: CPU-bound figures differ.
    `${entry.generatedAt.slice(0, 16).replace("T", " ")} UTC on ${m.cpuModel}, ${m.cores} cores, and took ${fmt(entry.durationSeconds / 60, 0)} min; load average ${m.loadAverageBefore.join(" / ")} before, ${m.loadAverageAfter.join(" / ")} after, ` +
    `CPUs ${fmt(m.medianMachineBusyShare * 100, 0)} % busy (median of runs).${keptWorkloads(entry.workloads)}`
  );
}

/** The "Across the border" section. */
export function renderLinkSection(results: BenchResults): string {
  const links = results.links ?? [];
  const targets = results.linkTargets ?? [];
  const missed = new Set(targets.filter((t) => !t.met).map((t) => t.name.split(":")[0]));
  const out = [
    "## Across the border",
    "",
    "The same MinIO pair, with the link model of test/support/link-model.ts (TCP level: one-way delay of",
    "RTT/2 each way, a rate cap per connection with one bandwidth-delay product in flight, a shared link",
    "cap, resets and stalls) between the copy host and the target (a function in China writing to Global;",
    "the source local), and for one profile between the copy host and the source instead. Each run gets a",
    "fresh link with the same seed per repeat, so every tool meets the same resets and stalls. The link",
    "column is the profile's capacity (the model's spec proves N connections get min(N x cap, link) within",
    "10 %). Rates are medians (min-max) in MB/s (10^6 bytes) or objects/s, spawn to exit.",
    "",
    `![throughput across the border](${LINK_CHART})`,
    "",
    "Commands: " +
      Object.entries(links[0]?.commands ?? {})
        .map(([tool, command]) => `${TOOL_LABELS[tool as ToolId] ?? tool}: \`${command}\``)
        .join("; ") +
      ".",
    "",
  ];
  for (const entry of links) {
    out.push(`### ${entry.name}`, "", profileHeader(entry), "", profileTable(entry), "");
    const failed = entry.workloads.flatMap((w) =>
      w.runs.filter((r) => !r.ok).map((r) => `- ${w.title}, ${r.tool} #${r.repeat}: ${r.problem}`),
    );
    if (failed.length) out.push("Runs that did not count:", "", ...failed, "");
  }
  out.push(
    "### Targets across the border",
    "",
    mdTable(
      ["target", "goal", "measured (medians)", "met"],
      targets.map((t) => [t.name, t.goal, t.measured, t.met ? "yes" : "**no**"]),
    ),
    "",
  );
  const notes = links.flatMap((entry) =>
    entry.workloads
      .filter((w) => missed.has(`${entry.name}, ${w.title}`))
      .map((w) => `- **${entry.name}, ${w.title}**: ${measuredLimits(entry, w)}`),
  );
  if (notes.length) out.push("### What the runs measured where a target was missed", "", ...notes, "");
  const analysis = analysisText("link-analysis.md");
  if (analysis) out.push(analysis.trim(), "");
  return out.join("\n");
}

/** A panel per profile and workload: the link's capacity, then each tool. */
export function renderLinkChart(results: BenchResults): string {
  const links = results.links ?? [];
  const panels = links.flatMap((entry) =>
    entry.workloads.map((w) => ({
      title: `${entry.name}: ${w.title} (${unit(w)})`,
      digits: rateDigits(w),
      bars: [
        ...(w.limit > 0
          ? [{ label: "link capacity", color: "#a9b3bd", median: w.limit, min: w.limit, max: w.limit }]
          : []),
        ...w.summaries.map((s) => ({
          label: TOOL_LABELS[s.tool],
          color: COLORS[s.tool],
          ...s[w.metric],
          ...(s.failedRuns ? { note: " (runs failed)" } : {}),
        })),
      ],
    })),
  );
  const date =
    links
      .map((l) => l.generatedAt.slice(0, 10))
      .sort()
      .at(-1) ?? "";
  return renderBarChart({
    title: "Across the border: s3xsync vs rclone through the link model",
    subtitle: `medians (runs per profile: ${links.map((l) => `${l.name} ${l.repeats}`).join(", ")}), whiskers min-max; longer is better`,
    footer: `link model of test/support/link-model.ts on one host (2 cores shared); ${date}`,
    label: `Throughput of s3xsync and rclone through the link profiles (${date})`,
    panels,
  });
}

/** The plain-text table printed after a link profile. */
export function renderLinkTable(entry: LinkProfileResult): string {
  const lines = [`${entry.name}: ${profileHeader(entry).replace(/\*\*/g, "")}`];
  for (const w of entry.workloads) {
    const d = rateDigits(w);
    lines.push(
      `  ${w.title}: link ${w.limit > 0 ? `${fmt(w.limit, d)} ${unit(w)}` : "-"}; ours/link ${fmt(w.ratios.oursOverLimit, 2)}, ` +
        `ours/rclone defaults ${fmt(w.ratios.oursOverRcloneDefault, 2)}, ours/tuned ${fmt(w.ratios.oursOverRcloneTuned ?? 0, 2)}`,
    );
    for (const tool of LINK_TOOLS) {
      const s = summaryOf(w, tool);
      if (!s) continue;
      const r = s[w.metric];
      lines.push(
        `    ${TOOL_LABELS[tool].padEnd(36)} ${`${fmt(r.median, d)} (${fmt(r.min, d)}-${fmt(r.max, d)}) ${unit(w)}`.padStart(28)}  ` +
          `peak RSS ${fmt(s.peakRssBytes.max / MiB, 0).padStart(4)} MiB  peak conns ${fmt(
            linkMedian(w, tool, (l) => l.peakConnections),
            0,
          )}` +
          `${s.failedRuns ? `  (${s.failedRuns} of ${s.runs} failed)` : ""}`,
      );
    }
  }
  return lines.join("\n");
}

/** results.json with `entry` in place of the earlier run of the same profile and side. */
export function withLink(previous: BenchResults | undefined, entry: LinkProfileResult): BenchResults {
  const base: BenchResults = previous ?? {
    generatedAt: entry.generatedAt,
    scale: entry.scale,
    repeats: 0,
    durationSeconds: 0,
    machine: entry.machine,
    versions: entry.versions,
    settings: {},
    workloads: [],
    targets: [],
  };
  const others = (base.links ?? []).filter((l) => l.name !== entry.name);
  // A run stopped early, or one of a few workloads, keeps the workloads of the run before it.
  const earlier = (base.links ?? []).find((l) => l.name === entry.name);
  const workloads = mergeRerun(
    earlier?.workloads ?? [],
    entry.workloads,
    earlier && {
      generatedAt: earlier.generatedAt,
      repeats: earlier.repeats,
      cpuModel: earlier.machine.cpuModel,
    },
  );
  const ids = ["1GiB", "1GiB-single", "4MiB", "16KiB"];
  workloads.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  const order = (l: LinkProfileResult) =>
    ["near", "cross-border", "long-fat"].indexOf(l.profile) * 2 + (l.side === "source" ? 1 : 0);
  return { ...base, links: [...others, { ...entry, workloads }].sort((a, b) => order(a) - order(b)) };
}
