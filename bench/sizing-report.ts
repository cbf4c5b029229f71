// The "What this means for a MaxFileSizeCategory" section of docs/PERFORMANCE.md, from the Lambda
// sizing measurements in bench/sizing-results.json (npm run bench:sizing): cost and speed per
// memory size, parts in flight, and each category's pick beside what the stack is configured with.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SIZE_CATEGORIES, type SizeCategory } from "../src/lambda/size-categories.js";
import type { SizingResults, SizingRun, SizingWorkload } from "./sizing-types.js";

const MiB = 1024 * 1024;
/** A run within this share of the fastest on the same link and workload keeps the link as full as any. */
const FULL_SHARE = 0.9;
/** The original template's memory per category. */
const ORIGINAL_MEMORY: Record<SizeCategory, number> = { Under200MB: 256, "200MB-2GB": 512, "2GB-10GB": 1024 };

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** Lambda bills GB-seconds of configured memory (1 GB = 1,024 MB). */
function gbSeconds(run: SizingRun): number {
  return (run.memoryMb / 1024) * run.billedSeconds;
}

/** GB-seconds per GB copied (10^9 bytes) for large objects, per 1,000 objects for small ones. */
function costPerUnit(run: SizingRun, workload: SizingWorkload): number {
  return workload.objects >= 100 ? gbSeconds(run) / (run.objects / 1000) : gbSeconds(run) / (run.bytes / 1e9);
}

function costUnit(workload: SizingWorkload): string {
  return workload.objects >= 100 ? "GB-s per 1,000 objects" : "GB-s per GB";
}

function rate(run: SizingRun, workload: SizingWorkload): string {
  return workload.objects >= 100
    ? `${fmt(run.objects / run.billedSeconds, 0)} objects/s`
    : `${fmt(run.bytes / 1e6 / run.billedSeconds, 1)} MB/s`;
}

function partsLabel(run: SizingRun): string {
  return `${run.parts.concurrency} → ${run.parts.adaptiveMax}`;
}

function rowNote(run: SizingRun, workload: SizingWorkload): string {
  const notes: string[] = [];
  const category = workload.category;
  if (ORIGINAL_MEMORY[category] === run.memoryMb) notes.push(`original ${category}`);
  if (SIZE_CATEGORIES[category].memoryMb === run.memoryMb) notes.push(`${category} now`);
  if (run.continuations > 0) notes.push(`${run.continuations} continuation(s)`);
  if (!run.ok) notes.push(`**failed**: ${run.problem}`);
  return notes.join("; ");
}

/** The runs of one link and workload at the workload category's own parts in flight. */
function ownRuns(results: SizingResults, profile: string, workload: SizingWorkload): SizingRun[] {
  return results.runs
    .filter(
      (r) => r.profile === profile && r.workload === workload.id && r.parts.category === workload.category,
    )
    .sort((a, b) => a.memoryMb - b.memoryMb);
}

function workloadTable(results: SizingResults, profile: string, workload: SizingWorkload): string {
  const runs = ownRuns(results, profile, workload);
  if (runs.length === 0) return "";
  const linkRate = results.crossBorderLinkRate;
  const rows = runs.map((run) => [
    `${run.memoryMb} MB`,
    fmt(run.vcpu, 3),
    partsLabel(run),
    fmt(run.billedSeconds, 1),
    rate(run, workload),
    profile === "cross-border" ? `${fmt((run.bytes / run.billedSeconds / linkRate) * 100, 0)} %` : "-",
    fmt(run.peakRssBytes / MiB, 0),
    run.ok ? fmt(costPerUnit(run, workload), 2) : "-",
    String(run.invocations),
    rowNote(run, workload),
  ]);
  return [
    `#### ${workload.title}, ${profile}`,
    "",
    mdTable(
      [
        "memory",
        "vCPU",
        "parts in flight",
        "billed s",
        "rate",
        "of the link",
        "peak RSS (MiB)",
        costUnit(workload),
        "invocations",
        "",
      ],
      rows,
    ),
    "",
  ].join("\n");
}

/** The large workload over the cross-border link, memory by parts-in-flight setting. */
function partsTable(results: SizingResults): string {
  const large = results.workloads.find((w) => w.id === "large");
  const runs = results.runs.filter((r) => r.profile === "cross-border" && r.workload === "large");
  const settings = [...new Set(runs.map((r) => r.parts.category))];
  if (!large || settings.length < 2) return "";
  const memories = [...new Set(runs.map((r) => r.memoryMb))].sort((a, b) => a - b);
  const cell = (memoryMb: number, category: SizeCategory) => {
    const run = runs.find((r) => r.memoryMb === memoryMb && r.parts.category === category);
    if (!run) return "-";
    if (!run.ok) return "failed";
    return `${rate(run, large)}, ${fmt(costPerUnit(run, large), 2)} GB-s/GB, ${fmt(run.peakRssBytes / MiB, 0)} MiB`;
  };
  const head = settings.map((c) => {
    const s = SIZE_CATEGORIES[c];
    return `${s.concurrency} → ${s.adaptiveMax} parts (${c})`;
  });
  return [
    `#### Parts in flight: ${large.title}, cross-border`,
    "",
    "Parts start at the first number and adapt to the link up to the second (the setting of the category named).",
    "",
    mdTable(
      ["memory", ...head],
      memories.map((m) => [`${m} MB`, ...settings.map((c) => cell(m, c))]),
    ),
    "",
  ].join("\n");
}

interface Pick {
  run: SizingRun;
  fastest: SizingRun;
  slower: SizingRun[];
}

/** The cheapest run that keeps up with the fastest on the cross-border link (any parts setting). */
function cheapestFull(results: SizingResults, workloadId: string): Pick | undefined {
  const workload = results.workloads.find((w) => w.id === workloadId);
  const runs = results.runs.filter((r) => r.ok && r.profile === "cross-border" && r.workload === workloadId);
  if (!workload || runs.length === 0) return undefined;
  const speed = (r: SizingRun) => r.bytes / r.billedSeconds;
  const fastest = runs.reduce((a, b) => (speed(b) > speed(a) ? b : a));
  const full = runs.filter((r) => speed(r) >= FULL_SHARE * speed(fastest));
  const run = full.reduce((a, b) => (costPerUnit(b, workload) < costPerUnit(a, workload) ? b : a));
  return { run, fastest, slower: runs.filter((r) => r.memoryMb < run.memoryMb && !full.includes(r)) };
}

function pickText(results: SizingResults, workloadId: string): string {
  const workload = results.workloads.find((w) => w.id === workloadId);
  const pick = cheapestFull(results, workloadId);
  if (!workload || !pick) return "not measured";
  const { run, fastest, slower } = pick;
  const slowest = slower.sort((a, b) => a.memoryMb - b.memoryMb)[0];
  return (
    `${workload.title}: ${run.memoryMb} MB with ${partsLabel(run)} parts, ${rate(run, workload)} ` +
    `(fastest ${rate(fastest, workload)} at ${fastest.memoryMb} MB), ${fmt(costPerUnit(run, workload), 2)} ` +
    `${costUnit(workload)}` +
    (slowest ? `; ${slowest.memoryMb} MB fell behind (${rate(slowest, workload)})` : "")
  );
}

const PICK_WORKLOADS: Record<SizeCategory, string[]> = {
  Under200MB: ["4MiB", "16KiB"],
  "200MB-2GB": ["large"],
  "2GB-10GB": ["large"],
};

function choiceTable(results: SizingResults): string {
  const rows = (Object.keys(SIZE_CATEGORIES) as SizeCategory[]).map((category) => {
    const now = SIZE_CATEGORIES[category];
    return [
      category,
      `${ORIGINAL_MEMORY[category]} MB`,
      `${now.memoryMb} MB`,
      `${now.concurrency} → ${now.adaptiveMax}`,
      PICK_WORKLOADS[category].map((id) => pickText(results, id)).join("<br>"),
    ];
  });
  return mdTable(
    [
      "category",
      "original memory",
      "memory now",
      "parts in flight now",
      "cheapest that keeps up, cross-border",
    ],
    rows,
  );
}

/** The hand-written reasons for the configured values (bench/sizing-choice.md), as they are. */
function choiceNotes(): string[] {
  const file = join(import.meta.dirname, "sizing-choice.md");
  return existsSync(file) ? [readFileSync(file, "utf8").trim(), ""] : [];
}

function intro(results: SizingResults): string {
  const m = results.machine;
  const large = results.workloads.find((w) => w.id === "large");
  return [
    "The Lambda handler bundle (dist/lambda/handler.js), measured as Lambda runs it: one warm execution",
    "environment in a child process (bench/lambda-sizing-runner.ts) that loads the bundle and invokes it with",
    `SQS batches of ${results.batchSize} EventBridge events (the stack's batch size), then with the continuations it`,
    "queued, each invocation with a clock that runs out at the category's timeout. The process sits in a",
    "cgroup with Lambda's CPU share for its memory (memory / 1,769 MB of one vCPU: 0.145 at 256 MB, 0.289,",
    "0.579, 1.158 at 2,048 MB) and the memory itself as a hard limit. Two MinIO servers are the partitions;",
    "the link model sits in front of the target: loopback, or cross-border (200 ms RTT, 4 MB/s per",
    `connection, ${fmt(results.crossBorderLinkRate / 1e6, 0)} MB/s for the link, a reset every ~300 MB).`,
    "Billed seconds are the bundle's load plus every invocation; GB-seconds are memory (1 GB = 1,024 MB) ×",
    'billed seconds, per GB copied (10^9 bytes) or per 1,000 objects. "Of the link" is the copy\'s rate over',
    "the cross-border link's capacity.",
    "",
    `Measured ${results.generatedAt.slice(0, 16).replace("T", " ")} UTC, one run per cell, ${fmt(results.durationSeconds / 60, 0)} min in all` +
      (large && large.objectSize < 1024 * MiB
        ? `; **the large workload was cut to ${large.title}** for time.`
        : "."),
    `The machine (${m.cpuModel}, ${m.cores} cores, load average ${m.loadAverageBefore.map((x) => fmt(x, 1)).join(" / ")} before,`,
    `${m.loadAverageAfter.map((x) => fmt(x, 1)).join(" / ")} after) was shared with other engineers' builds and tests. The sandbox and,`,
    "outside it, the MinIO servers and the link model (S3 and the network, not the function's CPU) were weighted",
    "above the other processes so that the quota, not the crowd, bounds the function; still, everything ran on",
    "the same 2 cores: **the numbers are noisy**, a single run per cell, good for the shape (where a size stops",
    "paying for itself), not for the second digit.",
  ].join("\n");
}

/** The section, or a pointer to the harness when it has not been run. */
export function sizingSection(resultsPath = join(import.meta.dirname, "sizing-results.json")): string {
  const head = "## What this means for a MaxFileSizeCategory\n\n";
  if (!existsSync(resultsPath)) return `${head}Not measured yet: run \`npm run bench:sizing\` (as root).\n`;
  const results = JSON.parse(readFileSync(resultsPath, "utf8")) as SizingResults;
  const tables = ["cross-border", "loopback"].flatMap((profile) =>
    results.workloads.map((w) => workloadTable(results, profile, w)),
  );
  return [
    head + intro(results),
    "",
    "### Each category: measured pick and configuration",
    "",
    choiceTable(results),
    "",
    ...choiceNotes(),
    "### Cost and speed per memory size",
    "",
    ...tables.filter((t) => t !== ""),
    partsTable(results),
    "Reproduce: `sudo npm run bench:sizing` (about 30 min; `SIZING_LARGE_MIB=256` for a shorter run), then",
    "`npm run bench:report`.",
  ].join("\n");
}
