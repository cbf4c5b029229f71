// The load `watch --listen` must carry in bounded memory: many events at the body limit accepted
// while none can finish (the source's HEADs are held by a fault proxy), so they queue in the
// journal. Used by test/integration/watch-listen.spec.ts and by `npm run bench:listen`.
import { startFaultProxy } from "./fault-proxy.js";
import type { PartitionPair } from "./partition-pair.js";
import { watchProcess } from "./process-stats.js";
import { freePort } from "./server-process.js";
import { eventAtBodyLimit, postEvents, startWatch } from "./watch.js";

/** The servers and the CLI's profiles for them (a test's PartitionPair will do). */
export type HeldPair = Pick<PartitionPair, "source" | "profiles">;

export interface QueuedLoad {
  /** Statuses of the POSTs, by code: all 200 when the journal took every event. */
  statuses: Record<number, number>;
  /** The worker's answer to GET once all were posted: events waiting and running. */
  counts: { waiting: number; running: number };
  /** The worker's peak RSS while accepting the events, in bytes. */
  acceptPeakRss: number;
  /** The worker's peak RSS after a restart that recovers them all from the journal, in bytes. */
  recoverPeakRss: number;
  recovered: unknown;
}

/** One worker run with the source's HEADs held; stopped with SIGKILL (the events stay on disk). */
async function heldWorker(pair: HeldPair, args: string[], proxyEndpoint: string, port: number) {
  const worker = startWatch(
    [...args, "--listen", `127.0.0.1:${port}`, "--source-endpoint", proxyEndpoint, "--quiet"],
    pair.profiles.env,
  );
  const started = await worker.waitFor((line) => line.message === "watch", "start");
  const pid = worker.child.pid ?? 0;
  return { worker, started, rss: watchProcess(pid), url: `http://127.0.0.1:${port}/minio-events` };
}

/**
 * Posts `count` events at the body limit, each for its own key under `held/` (none finishes:
 * every source HEAD stalls), then restarts the worker on the same journal. `args` name the
 * buckets, the journal and the profiles.
 */
export async function queueHeldEvents(pair: HeldPair, args: string[], count: number): Promise<QueuedLoad> {
  const proxy = await startFaultProxy({
    upstream: pair.source.endpoint,
    rates: { stall: 1 },
    stallMs: 600_000,
    eligible: ({ operation }) => operation === "HeadObject",
  });
  const held = [...args, "--stall-timeout", "600"];
  const bucket = args[0]?.replace("s3://", "") ?? "";
  try {
    const first = await heldWorker(pair, held, proxy.endpoint, await freePort());
    const statuses = await postEvents(first.url, count, (i) => eventAtBodyLimit(bucket, `held/${i}`));
    const counts = (await (await fetch(first.url)).json()) as QueuedLoad["counts"];
    first.rss.stop();
    await first.worker.stop("SIGKILL");

    const second = await heldWorker(pair, held, proxy.endpoint, await freePort());
    // Let it read what it will read (the events it starts) before the peak is taken.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    second.rss.stop();
    await second.worker.stop("SIGKILL");
    return {
      statuses,
      counts: { waiting: counts.waiting, running: counts.running },
      acceptPeakRss: first.rss.peakRssBytes(),
      recoverPeakRss: second.rss.peakRssBytes(),
      recovered: second.started.recovered,
    };
  } finally {
    await proxy.close();
  }
}
