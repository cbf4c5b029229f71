import cliProgress from "cli-progress";
import { formatBytes } from "../user-facing/format-bytes.js";

export interface Progress {
  /** More work found (sync discovers its total while listing). */
  plan(objects: number, bytes: number): void;
  bytes(count: number): void;
  objectDone(): void;
  /** Removes the line; later calls are ignored. */
  stop(): void;
}

const SILENT: Progress = { plan() {}, bytes() {}, objectDone() {}, stop() {} };

/** A status line on stderr, only when stderr is a terminal and the user did not ask for quiet. */
export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return SILENT;
  const started = Date.now();
  let objectsTotal = 0;
  let objectsDone = 0;
  let bytesTotal = 0;
  let bytesDone = 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        "{bar} {percentage}% | {objects} objects | {moved} / {total_bytes} | {rate}/s | ETA {eta_formatted}",
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { objects: "0/0", moved: "0 B", total_bytes: "0 B", rate: "0 B" });
  // Stopped early by a signal, the line stays gone: the summary follows on a clean terminal.
  let stopped = false;
  const render = () => {
    if (stopped) return;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    bar.setTotal(Math.max(bytesTotal, 1));
    bar.update(bytesDone, {
      objects: `${objectsDone}/${objectsTotal}`,
      moved: formatBytes(bytesDone),
      total_bytes: formatBytes(bytesTotal),
      rate: formatBytes(bytesDone / seconds),
    });
  };
  return {
    plan(objects, bytes) {
      objectsTotal += objects;
      bytesTotal += bytes;
      render();
    },
    bytes(count) {
      bytesDone += count;
      render();
    },
    objectDone() {
      objectsDone++;
      render();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
