import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { queueRegion } from "../aws/queue-region.js";
import { createEngine, describeError } from "../engine/index.js";
import { MalformedEventError, parseMessageBody } from "../events/parse-events.js";
import { PreflightError } from "../user-facing/errors.js";
import { processMessages } from "../worker/process-messages.js";
import type { TaskContext } from "../worker/run-task.js";
import { logger, metrics } from "../worker/telemetry.js";
import { EventJournal } from "./event-journal.js";
import { JournalDispatcher } from "./journal-dispatcher.js";
import { queueVisibilityTimeout, runQueuePoller } from "./queue-poller.js";
import { newStats, startStatusLine } from "./status-line.js";
import type { WatchSetup } from "./watch-setup.js";
import { RejectedEventError, startWebhookReceiver } from "./webhook-receiver.js";

interface Shutdown {
  signal: AbortSignal;
  dispose(): void;
}

/** The first SIGINT/SIGTERM asks for a graceful stop; a second one exits at once. */
function onSignals(onFirst: (signal: string) => void): Shutdown {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn("shutdown", { signal, outcome: "forced" });
      process.exit(130);
    }
    controller.abort();
    onFirst(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/**
 * `s3xsync watch`: the sync handler's code path (events -> tasks -> engine -> outcome) as a
 * long-running worker, fed by an SQS queue (`--queue-url`) or by S3 notifications pushed over HTTP
 * (`--listen`). Resolves with the exit code once stopped by SIGINT/SIGTERM.
 */
export async function runWatch(setup: WatchSetup): Promise<number> {
  const { sides, events, prefixFilter } = setup;
  const { source: sourceSide, target: targetSide } = sides;
  // Logs are JSON lines on stdout; on a terminal only warnings and errors, beside the status line.
  if (process.stdout.isTTY && !setup.quiet) logger.setLogLevel("WARN");
  const stats = newStats(
    () => 0,
    () => 0,
  );
  const engine = createEngine({
    ...sides,
    options: setup.engine,
    hooks: {
      onProgress: (event) => {
        stats.bytes += event.bytes;
      },
    },
  });
  const filter = { bucket: sourceSide.bucket, prefix: prefixFilter };
  let stopping = false;
  const sqs = new SQSClient({
    region:
      (events.kind === "queue" ? queueRegion(events.queueUrl) : undefined) ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      sourceSide.region,
    ...(sourceSide.credentials ? { credentials: sourceSide.credentials } : {}),
  });
  const ctx: TaskContext = {
    config: {
      sourceBucket: sourceSide.bucket,
      sourceRegion: sourceSide.region,
      targetBucket: targetSide.bucket,
      targetRegion: targetSide.region,
      prefixFilter,
      syncDeletes: setup.syncDeletes,
      queueUrl: events.kind === "queue" ? events.queueUrl : undefined,
      concurrency: setup.engine.concurrency,
    },
    engine: async () => engine,
    refreshTargetKeys: async () => false,
    sqs,
    sns: new SNSClient({}),
    // On shutdown a copy in flight starts no new part; it pauses and queues its continuation.
    deadline: { hasTimeForPart: () => !stopping },
  };
  const processBatch = async (messages: { id: string; body: string }[]) => {
    try {
      return await processMessages(ctx, messages);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };

  if (events.kind === "queue") {
    const { queueUrl } = events;
    const visibilityTimeout = await queueVisibilityTimeout(sqs, queueUrl).catch((error: unknown) => {
      throw new PreflightError(`queue ${queueUrl}: ${describeError(error)}`);
    });
    let inFlight = 0;
    stats.inFlight = () => inFlight;
    const status = startStatusLine(`watch ${queueUrl}`, stats, !setup.quiet);
    const shutdown = onSignals((signal) => {
      stopping = true;
      logger.info("shutdown", { signal, inFlight });
    });
    logger.info("watch", { queueUrl, source: sourceSide.bucket, target: targetSide.bucket, prefixFilter });
    try {
      await runQueuePoller(
        {
          sqs,
          queueUrl,
          concurrency: setup.engine.concurrency,
          process: processBatch,
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
    return 0;
  }

  const { listen, journalDir, maxAttempts } = events;
  const journal = await EventJournal.open(journalDir).catch((error: unknown) => {
    throw new PreflightError(`journal ${journalDir}: ${describeError(error)}`);
  });
  const dispatcher = new JournalDispatcher({
    journal,
    filter,
    concurrency: setup.engine.concurrency,
    maxAttempts,
    process: processBatch,
    onSettled: (outcome) => {
      if (outcome === "done") stats.done++;
      if (outcome === "dead-letter") stats.failed++;
    },
  });
  stats.inFlight = () => dispatcher.counts.running;
  stats.waiting = () => dispatcher.counts.waiting;
  const receiver = await startWebhookReceiver({
    host: listen.host,
    port: listen.port,
    async accept(body) {
      if (stopping) throw new Error("shutting down");
      try {
        parseMessageBody(body, filter);
      } catch (error) {
        if (error instanceof MalformedEventError) throw new RejectedEventError(error.message);
        throw error;
      }
      const id = await journal.append(body);
      stats.received++;
      dispatcher.add(id, body);
    },
    status: () => ({ ...dispatcher.counts, done: stats.done, failed: stats.failed }),
  }).catch((error: unknown) => {
    throw new PreflightError(`--listen ${listen.host}:${listen.port}: ${describeError(error)}`);
  });
  const recovered = await dispatcher.recover();
  logger.info("watch", {
    listen: receiver.url,
    journal: journal.dir,
    recovered,
    source: sourceSide.bucket,
    target: targetSide.bucket,
    prefixFilter,
  });
  const status = startStatusLine(`watch ${receiver.url}`, stats, !setup.quiet);
  await new Promise<void>((resolve) => {
    const shutdown = onSignals((signal) => {
      stopping = true;
      logger.info("shutdown", { signal, ...dispatcher.counts });
      // Events not started stay in the journal for the next run; the objects in flight finish.
      Promise.all([receiver.close(), dispatcher.stop()]).then(() => {
        shutdown.dispose();
        resolve();
      });
    });
  });
  status.stop();
  logger.info("stopped", {
    received: stats.received,
    done: stats.done,
    failed: stats.failed,
    pending: dispatcher.counts.waiting,
  });
  return 0;
}
