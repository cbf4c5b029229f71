import { describeError } from "../engine/index.js";
import { PreflightError } from "../user-facing/errors.js";
import { logger } from "../worker/telemetry.js";
import { queueVisibilityTimeout, runQueuePoller } from "./queue-poller.js";
import { startStatusLine } from "./status-line.js";
import type { QueueEvents } from "./watch-setup.js";
import { listenForWatchStop, type WatchWorker } from "./watch-worker.js";

/**
 * On SIGINT/SIGTERM the batches in flight get this long to settle (copies pause at a part boundary
 * and queue their continuation); what still runs then is abandoned. At most the stall timeout (a
 * part that moved nothing for that long is stalled anyway), and at most 20 s, so that the worker is
 * gone within the 30 s that Kubernetes and ECS give a container before they kill it.
 */
const MAX_SHUTDOWN_GRACE_MS = 20_000;

/** `watch --queue-url`: long-polls the queue until SIGINT/SIGTERM, then settles or abandons the batches in flight. */
export async function watchQueue(worker: WatchWorker, { queueUrl }: QueueEvents): Promise<void> {
  const { setup, stats, sqs } = worker;
  const { stallTimeoutMs } = setup.engine;
  const visibilityTimeout = await queueVisibilityTimeout(sqs, queueUrl).catch((error: unknown) => {
    throw new PreflightError(`queue ${queueUrl}: ${describeError(error)}`);
  });
  let inFlight = 0;
  stats.inFlight = () => inFlight;
  const status = startStatusLine(`watch ${queueUrl}`, stats, !setup.quiet);
  const shutdown = listenForWatchStop((signal) => {
    worker.stopping = true;
    logger.info("shutdown", { signal, inFlight });
  });
  logger.info("watch", {
    queueUrl,
    source: setup.sides.source.bucket,
    target: setup.sides.target.bucket,
    prefixFilter: setup.prefixFilter,
  });
  try {
    await runQueuePoller({
      sqs,
      queueUrl,
      // --concurrency fixes it; otherwise as many messages as the engine copies objects at once.
      concurrency: () => worker.eventSlots(),
      process: (messages, controlOf) => worker.processBatch(messages, controlOf),
      stop: shutdown.signal,
      visibilityTimeout,
      abandonAfterMs: 2 * stallTimeoutMs,
      graceMs: Math.min(stallTimeoutMs, MAX_SHUTDOWN_GRACE_MS),
      onReceived: (count) => {
        stats.received += count;
        inFlight += count;
      },
      onSettled: (done, failed) => {
        stats.done += done;
        stats.failed += failed;
        inFlight -= done + failed;
      },
    });
  } finally {
    status.stop();
    shutdown.dispose();
  }
  logger.info("stopped", { received: stats.received, done: stats.done, failed: stats.failed });
}
