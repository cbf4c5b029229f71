// The shape of bench/results.json (written by bench/run-bench.ts, read by bench/report.ts).

export type ToolId =
  | "limit-get"
  | "limit-put"
  | "s5cmd-get"
  | "s5cmd-put"
  | "s3xsync"
  | "s3xsync-candidate"
  | "s3xsync-baseline"
  | "rclone-default"
  | "rclone-matched"
  | "rclone-tuned";

/** The order of the tools in tables and the chart. */
export const ALL_TOOLS: ToolId[] = [
  "limit-get",
  "limit-put",
  "s5cmd-get",
  "s5cmd-put",
  "s3xsync",
  "s3xsync-candidate",
  "s3xsync-baseline",
  "rclone-default",
  "rclone-matched",
  "rclone-tuned",
];

export const TOOL_LABELS: Record<ToolId, string> = {
  "limit-get": "GET only (s3raw)",
  "limit-put": "PUT only (s3raw)",
  "s5cmd-get": "GET only (s5cmd)",
  "s5cmd-put": "PUT only (s5cmd)",
  s3xsync: "s3xsync sync (defaults)",
  "s3xsync-candidate": "s3xsync, proposed engine changes",
  "s3xsync-baseline": "s3xsync, an earlier build (baseline)",
  "rclone-default": "rclone copy (defaults)",
  "rclone-matched": "rclone copy (our parallelism)",
  "rclone-tuned": "rclone copy (tuned for a long link)",
};

export interface RunRecord {
  tool: ToolId;
  repeat: number;
  ok: boolean;
  /** Why a run does not count (exit code, wrong object count on the target, ...). */
  problem?: string;
  seconds: number;
  bytes: number;
  objects: number;
  /** 10^6 bytes per second. */
  mbPerSecond: number;
  objectsPerSecond: number;
  /** VmHWM of the tool's process. */
  peakRssBytes: number;
  /** User + system CPU of the tool's process. */
  cpuSeconds: number;
  /** CPU of the two MinIO servers during the run. */
  serverCpuSeconds: { source: number; target: number };
  /** Share of all CPUs busy during the run (every process on the machine). */
  machineBusyShare: number;
  /** CPU seconds used during the run by processes other than the tool and the two servers. */
  otherCpuSeconds: number;
  /** What the link model saw during the run (link profiles only). */
  link?: LinkRunStats;
}

/** The link model's counters over one run. */
export interface LinkRunStats {
  connections: number;
  /** The most connections open at once: bounds the rate at peak x the per-connection cap. */
  peakConnections: number;
  /** Bytes through the link both ways. */
  bytes: number;
  resets: number;
  stalls: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ToolSummary {
  tool: ToolId;
  runs: number;
  failedRuns: number;
  seconds: Spread;
  /** MB/s (10^6 bytes) for the big workloads. */
  mbPerSecond: Spread;
  objectsPerSecond: Spread;
  peakRssBytes: Spread;
  cpuSeconds: Spread;
  serverCpuSeconds: Spread;
  otherCpuSeconds: Spread;
}

export interface TargetCheck {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface RequestCount {
  tool: ToolId;
  /** Requests per S3 operation, counted by a pass-through proxy (one extra run, not timed). */
  source: Record<string, number>;
  target: Record<string, number>;
  total: number;
  perObject: number;
}

export interface WorkloadResult {
  id: string;
  /**
   * Set on a workload a later run of other --workloads kept: when it was measured, how often, and
   * for a link profile on which CPU (profiles are rerun on other days, maybe on other machines).
   */
  keptFrom?: { generatedAt: string; repeats: number; cpuModel?: string };
  /** Informational workloads have no targets of their own (only the peak RSS one). */
  informational?: boolean;
  title: string;
  objects: number;
  objectSize: number;
  totalBytes: number;
  /** How the source objects were uploaded (multipart with 8 MiB parts, or one PUT each). */
  sourceLayout: string;
  /** "mbPerSecond" for big objects, "objectsPerSecond" for small ones. */
  metric: "mbPerSecond" | "objectsPerSecond";
  runs: RunRecord[];
  summaries: ToolSummary[];
  /** min(best GET-only, best PUT-only) medians in the workload's metric (best of s3raw and s5cmd). */
  limit: number;
  ratios: {
    oursOverLimit: number;
    oursOverRcloneDefault: number;
    oursOverRcloneMatched: number;
    oursOverRcloneTuned?: number;
  };
  requests?: RequestCount[];
}

export interface BenchResults {
  generatedAt: string;
  scale: "full" | "small";
  repeats: number;
  durationSeconds: number;
  machine: {
    cpuModel: string;
    cores: number;
    memoryBytes: number;
    kernel: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    /** Median share of all CPUs busy during the timed runs, and the CPU other processes took. */
    medianMachineBusyShare: number;
    medianOtherCpuShare: number;
    note: string;
  };
  versions: Record<string, string>;
  settings: Record<string, string>;
  /** The S3XSYNC_CANDIDATE build benchmarked beside the project's own, and what it changes. */
  candidate?: { path: string; description: string };
  /** The S3XSYNC_BASELINE build run beside the project's own, and which build it is. */
  baseline?: { path: string; description: string };
  workloads: WorkloadResult[];
  targets: TargetCheck[];
  /** The link profiles (bench/link-bench.ts), each from its own run; a run replaces its profile's entry. */
  links?: LinkProfileResult[];
  /** Issue 12's targets on the link profiles. */
  linkTargets?: TargetCheck[];
  /** s3xsync's loopback medians (per workload id) before the first loopback run since issue 12. */
  loopbackBaseline?: { generatedAt: string; s3xsync: Record<string, number> };
}

/** One link profile on one side: the workloads over a link model (test/support/link-model.ts). */
export interface LinkProfileResult {
  /** e.g. "cross-border", or "cross-border (source side)". */
  name: string;
  profile: string;
  /** Where the link sits: between the copy host and the target, or the source. */
  side: "target" | "source";
  rttMs: number;
  /** MB/s (10^6 bytes) of one connection and of the whole link; the link's is the capacity a copy can reach. */
  connectionMBps: number;
  linkMBps: number;
  /** The profile as the link model ran it. */
  settings: object;
  generatedAt: string;
  scale: "full" | "small";
  repeats: number;
  durationSeconds: number;
  machine: BenchResults["machine"];
  versions: Record<string, string>;
  /** What each tool ran. */
  commands: Record<string, string>;
  workloads: WorkloadResult[];
}

/**
 * The workloads of a run of a few of them (--workloads, or one stopped early) merged into the run
 * before it: the earlier order, each rerun workload in its place, new ones after; those the earlier
 * run measured are marked `earlier`, unless a run before that already marked them.
 */
export function mergeRerun(
  before: readonly WorkloadResult[],
  rerun: readonly WorkloadResult[],
  earlier?: NonNullable<WorkloadResult["keptFrom"]>,
): WorkloadResult[] {
  const byId = new Map(rerun.map((w) => [w.id, w]));
  const kept = (w: WorkloadResult) => (w.keptFrom || !earlier ? w : { ...w, keptFrom: earlier });
  return [
    ...before.map((w) => byId.get(w.id) ?? kept(w)),
    ...rerun.filter((w) => !before.some((b) => b.id === w.id)),
  ];
}
