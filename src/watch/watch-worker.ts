import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { queueRegion } from "../aws/queue-region.js";
import { createEngine } from "../engine/index.js";
import type { EventFilter } from "../events/s3-events.js";
import type { QueuedMessage } from "../events/tasks.js";
import { processMessages } from "../worker/process-messages.js";
import type { TaskContext } from "../worker/run-task.js";
import { logger, metrics } from "../worker/telemetry.js";
import { newStats, type WatchStats } from "./status-line.js";
import type { WatchSetup } from "./watch-setup.js";

/** The sync worker both event sources feed: the Lambda handler's path, run in this process. */
export interface WatchWorker {
  setup: WatchSetup;
  stats: WatchStats;
  sqs: SQSClient;
  /** The source bucket and prefix the worker syncs. */
  filter: EventFilter;
  /** Runs a batch; returns the ids of the messages that failed. */
  processBatch(messages: QueuedMessage[]): Promise<string[]>;
  /** Set on shutdown: a copy in flight starts no new part; it pauses and queues its continuation. */
  stopping: boolean;
  /**
   * Events to have in flight now: as many objects as the engine copies at once as it adapts to the
   * link, or `--concurrency` where the user fixed it.
   */
  eventSlots(): number;
}

export function startWorker(setup: WatchSetup): WatchWorker {
  const { source, target } = setup.sides;
  const { events } = setup;
  const queueUrl = events.kind === "queue" ? events.queueUrl : undefined;
  const stats = newStats(
    () => 0,
    () => 0,
  );
  const engine = createEngine({
    ...setup.sides,
    options: setup.engine,
    hooks: {
      onProgress: (event) => {
        stats.bytes += event.bytes;
      },
    },
  });
  const sqs = new SQSClient({
    region:
      (queueUrl ? queueRegion(queueUrl) : undefined) ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      source.region,
    ...(source.credentials ? { credentials: source.credentials } : {}),
  });
  const worker: WatchWorker = {
    setup,
    stats,
    sqs,
    filter: { bucket: source.bucket, prefix: setup.prefixFilter },
    stopping: false,
    eventSlots: () =>
      setup.engine.adaptiveMax === undefined ? setup.engine.concurrency : engine.objectSlots(),
    async processBatch(messages) {
      try {
        return await processMessages(ctx, messages);
      } finally {
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      }
    },
  };
  const ctx: TaskContext = {
    config: {
      sourceBucket: source.bucket,
      sourceRegion: source.region,
      targetBucket: target.bucket,
      targetRegion: target.region,
      prefixFilter: setup.prefixFilter,
      syncDeletes: setup.syncDeletes,
      queueUrl,
      concurrency: setup.engine.concurrency,
    },
    engine: async () => engine,
    refreshTargetKeys: async () => false,
    sqs,
    sns: new SNSClient({}),
    deadline: { hasTimeForPart: () => !worker.stopping, stallBudgetMs: () => Number.POSITIVE_INFINITY },
  };
  return worker;
}

export interface Shutdown {
  signal: AbortSignal;
  dispose(): void;
}

/** The first SIGINT/SIGTERM asks for a graceful stop; a second one exits at once. */
export function onSignals(onFirst: (signal: string) => void): Shutdown {
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
