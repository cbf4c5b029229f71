import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { queueRegion } from "../aws/queue-region.js";
import { serviceClientSettings } from "../aws/request-handler.js";
import { createEngine } from "../engine/index.js";
import type { EventFilter } from "../events/s3-events.js";
import type { QueuedMessage } from "../events/tasks.js";
import { listenForStop, type StopRequest, type StopSignal } from "../user-facing/stop-signals.js";
import { processMessages } from "../worker/process-messages.js";
import type { TaskContext, TaskControl } from "../worker/run-task.js";
import { logger, metrics } from "../worker/telemetry.js";
import { newStats, type WatchStats } from "./status-line.js";
import type { WatchSetup } from "./watch-setup.js";

/** The sync worker both event sources feed: the Lambda handler's path, run in this process. */
export interface WatchWorker {
  setup: WatchSetup;
  stats: WatchStats;
  sqs: SQSClient;
  /** The source bucket the worker syncs (the prefix is checked on every task). */
  filter: EventFilter;
  /** Runs a batch, each message's tasks with its control; returns the ids of the messages that failed. */
  processBatch(
    messages: QueuedMessage[],
    controlOf?: (id: string) => TaskControl | undefined,
  ): Promise<string[]>;
  /** Set on shutdown: a copy in flight starts no new part; it pauses and queues its continuation. */
  stopping: boolean;
  /** Closes every client, ending what abandoned work still has on the wire, so the process can exit. */
  close(): void;
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
    ...serviceClientSettings(),
    region:
      (queueUrl ? queueRegion(queueUrl) : undefined) ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      source.region,
    ...(source.credentials ? { credentials: source.credentials } : {}),
  });
  const sns = new SNSClient(serviceClientSettings());
  const worker: WatchWorker = {
    setup,
    stats,
    sqs,
    filter: { bucket: source.bucket },
    stopping: false,
    close() {
      for (const client of [sqs, sns, source.client, target.client]) client.destroy();
    },
    eventSlots: () =>
      setup.engine.adaptiveMax === undefined ? setup.engine.concurrency : engine.objectSlots(),
    async processBatch(messages, controlOf) {
      try {
        return await processMessages(ctx, messages, controlOf);
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
    sns,
    deadline: { hasTimeForPart: () => !worker.stopping, stallBudgetMs: () => Number.POSITIVE_INFINITY },
  };
  return worker;
}

/**
 * The first SIGINT/SIGTERM asks watch to stop gracefully; a second one, never needed, exits at
 * once and is logged as forced.
 */
export function listenForWatchStop(onFirst: (signal: StopSignal) => void): StopRequest {
  return listenForStop(onFirst, (signal) => logger.warn("shutdown", { signal, outcome: "forced" }));
}
