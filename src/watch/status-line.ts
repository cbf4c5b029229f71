import { formatBytes } from "../user-facing/format-bytes.js";

export interface WatchStats {
  received: number;
  done: number;
  failed: number;
  inFlight: () => number;
  waiting: () => number;
  bytes: number;
}

export function newStats(inFlight: () => number, waiting: () => number): WatchStats {
  return { received: 0, done: 0, failed: 0, inFlight, waiting, bytes: 0 };
}

export function describeStats(stats: WatchStats): string {
  return (
    `${stats.received} events: ${stats.done} done, ${stats.failed} failed, ` +
    `${stats.inFlight()} in flight, ${stats.waiting()} waiting | ${formatBytes(stats.bytes)} copied`
  );
}

/** A status line on stderr, redrawn twice a second; only on a terminal. stop() clears it. */
export function startStatusLine(label: string, stats: WatchStats, enabled: boolean): { stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { stop() {} };
  const draw = () => process.stderr.write(`\r\x1b[2K${label} | ${describeStats(stats)}`);
  draw();
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write("\r\x1b[2K");
    },
  };
}
