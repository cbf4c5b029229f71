import { describeError } from "../engine/index.js";
import { PreflightError } from "../user-facing/errors.js";
import { logger } from "../worker/telemetry.js";
import { queueVisibilityTimeout, runQueuePoller } from "./queue-poller.js";
import { startStatusLine } from "./status-line.js";
import type { QueueEvents } from "./watch-setup.js";
import { onSignals, type WatchWorker } from "./watch-worker.js";

/** `watch --queue-url`: long-polls the queue until SIGINT/SIGTERM, then finishes the batches in flight. */
export async function watchQueue(worker: WatchWorker, { queueUrl }: QueueEvents): Promise<void> {
  const { setup, stats, sqs } = worker;
  const visibilityTimeout = await queueVisibilityTimeout(sqs, queueUrl).catch((error: unknown) => {
    throw new PreflightError(`queue ${queueUrl}: ${describeError(error)}`);
  });
  let inFlight = 0;
  stats.inFlight = () => inFlight;
  const status = startStatusLine(`watch ${queueUrl}`, stats, !setup.quiet);
  const shutdown = onSignals((signal) => {
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
    await runQueuePoller(
      {
        sqs,
        queueUrl,
        concurrency: setup.engine.concurrency,
        process: (messages) => worker.processBatch(messages),
        stop: shutdown.signal,
        onReceived: (count) => {
          stats.received += count;
          inFlight += count;
        },
        onSettled: (done, failed) => {
          stats.done += done;
          stats.failed += failed;
          inFlight -= done + failed;
        },
      },
      visibilityTimeout,
    );
  } finally {
    status.stop();
    shutdown.dispose();
  }
  logger.info("stopped", { received: stats.received, done: stats.done, failed: stats.failed });
}
