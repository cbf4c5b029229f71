// The shape of bench/sizing-results.json: written by bench/lambda-sizing.ts, rendered into
// docs/PERFORMANCE.md by bench/sizing-report.ts.
import type { SizeCategory } from "../src/lambda/size-categories.js";

export type SizingProfile = "loopback" | "cross-border";

export interface SizingWorkload {
  id: string;
  title: string;
  objects: number;
  objectSize: number;
  /** Source uploaded in 8 MiB parts (else one PUT per object). */
  multipart: boolean;
  /** The category a deployment for objects like these would choose. */
  category: SizeCategory;
}

/** The parts-in-flight setting of a run: a category's, whatever the memory. */
export interface PartsSetting {
  category: SizeCategory;
  concurrency: number;
  adaptiveMax: number;
}

export interface SizingRun {
  profile: SizingProfile;
  workload: string;
  objects: number;
  bytes: number;
  memoryMb: number;
  vcpu: number;
  parts: PartsSetting;
  timeoutSeconds: number;
  ok: boolean;
  problem?: string;
  /** Init plus every invocation: what Lambda bills. */
  billedSeconds: number;
  initSeconds: number;
  invocations: number;
  continuations: number;
  /** The runner process's VmHWM. */
  peakRssBytes: number;
  cpuSeconds: number;
  /** Time the CPU quota held the process back: the run was bound by its CPU share. */
  throttledSeconds: number;
  /** Bytes the target side of the link carried (request bodies included) and its resets. */
  linkBytesUp: number;
  linkResets: number;
  /** Share of the machine's CPUs busy during the run (all processes). */
  machineBusyShare: number;
}

export interface SizingResults {
  generatedAt: string;
  durationSeconds: number;
  machine: { cpuModel: string; cores: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  batchSize: number;
  /** The large workload's object size (1 GiB unless cut for time). */
  largeObjectBytes: number;
  /** The cross-border link's capacity toward the target, bytes/s. */
  crossBorderLinkRate: number;
  workloads: SizingWorkload[];
  runs: SizingRun[];
}
