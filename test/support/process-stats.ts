// What a child process costs, read from /proc while it runs (Linux): its peak RSS (VmHWM, which
// the kernel keeps, so polling misses nothing but the last moments) and its CPU time. Used by the
// benchmarks for every tool (node, rclone, s5cmd) and by the soak and crash suites.
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { collect } from "./cli.js";

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** Peak resident set (VmHWM) of a live process in bytes, or undefined once it is gone. */
export function peakRss(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a live process has used (threads included), or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of all CPUs together, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share (0..1) of all CPUs busy between two machineCpu() readings. */
export function busyShare(before: { busy: number; total: number }, after: { busy: number; total: number }) {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** Processes whose command line contains every one of `parts` (e.g. the MinIO on a given port). */
export function findPids(parts: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (parts.every((part) => cmdline.includes(part))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface ProcessWatch {
  /** Highest VmHWM seen, in bytes. */
  peakRssBytes(): number;
  /** CPU seconds at the last sample. */
  cpuSeconds(): number;
  samples(): number;
  stop(): void;
}

/** Samples a process's VmHWM and CPU time every `intervalMs` until stop() or its end. */
export function watchProcess(pid: number, intervalMs = 50): ProcessWatch {
  let peak = 0;
  let cpu = 0;
  let count = 0;
  const sample = () => {
    const rss = peakRss(pid);
    const used = cpuSeconds(pid);
    if (rss !== undefined) {
      peak = Math.max(peak, rss);
      count++;
    }
    if (used !== undefined) cpu = Math.max(cpu, used);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    peakRssBytes: () => peak,
    cpuSeconds: () => cpu,
    samples: () => count,
    stop: () => {
      sample();
      clearInterval(timer);
    },
  };
}

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  seconds: number;
  peakRssBytes: number;
  cpuSeconds: number;
}

/**
 * Waits for a just-spawned child to end, sampling it; its wall time counts from the call. The
 * child's stdout/stderr must be pipes (or ignored).
 */
export async function measureChild(child: ChildProcess, intervalMs = 50): Promise<MeasuredRun> {
  const started = process.hrtime.bigint();
  const pid = child.pid;
  if (pid === undefined) {
    const result = await collect(child);
    return { ...result, seconds: 0, peakRssBytes: 0, cpuSeconds: 0 };
  }
  // The last interval before the exit is not sampled: CPU time may be short by that much.
  const watch = watchProcess(pid, intervalMs);
  try {
    const result = await collect(child);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { ...result, seconds, peakRssBytes: watch.peakRssBytes(), cpuSeconds: watch.cpuSeconds() };
  } finally {
    watch.stop();
  }
}
