import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { backoffDelay, describeError } from "../engine/index.js";
import type { QueuedMessage } from "../events/tasks.js";
import type { TaskControl } from "../worker/run-task.js";
import { logger } from "../worker/telemetry.js";
import { inBatchesOfTen, MessageLeases } from "./message-leases.js";

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Messages in flight at most (asked before each receive: the engine adapts it to the link). */
  concurrency: () => number;
  /**
   * Handles a batch, each message's tasks with the control its lease gives (cancel, progress);
   * returns the ids of the messages that failed (left for redelivery).
   */
  process(messages: QueuedMessage[], controlOf: (id: string) => TaskControl | undefined): Promise<string[]>;
  /** Aborted: stop receiving; the batches in flight get `graceMs` to settle, then are abandoned. */
  stop: AbortSignal;
  /** The queue's visibility timeout in seconds. */
  visibilityTimeout: number;
  /** A message whose tasks moved no byte for this long is abandoned (see MessageLeases). */
  abandonAfterMs: number;
  /** How long the batches in flight get to settle after `stop`. */
  graceMs: number;
  onReceived?(count: number): void;
  onSettled?(done: number, failed: number): void;
}

/** SQS's long-poll maximum. */
const WAIT_SECONDS = 20;

/**
 * After a failed receive (throttled, unreachable, keys refused): the first retry within a second,
 * the ceiling doubling to 30 s, so a long outage costs a few requests a minute, not a busy loop.
 */
const RECEIVE_BACKOFF_BASE_MS = 500;
const RECEIVE_BACKOFF_MAX_MS = 30_000;

/**
 * Abandoned work ends at once (its transfers are aborted); a request of it already under way is
 * still bounded by its client's timeouts. Past this, the poller returns without it.
 */
const ABANDONED_SETTLE_MS = 5_000;

/** With every slot taken, how often the poller asks again: the engine's slots may grow meanwhile. */
const FULL_RECHECK_MS = 1_000;

/** The queue's visibility timeout in seconds; also proves the queue exists and is reachable. */
export async function queueVisibilityTimeout(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
  );
  return Number(out.Attributes?.VisibilityTimeout ?? 30);
}

/** Resolves after `ms`, or at once when `signal` is aborted; never rejects. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Whether `work` settles within `ms` (its outcome is the caller's to handle). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([work.then(() => true), sleep(ms, timer.signal).then(() => false)]);
  } finally {
    timer.abort();
  }
}

/**
 * Runs one batch through `process`; deletes the messages that succeeded and leaves the failed and
 * the abandoned ones for the queue to deliver again.
 */
async function settleBatch(options: QueuePollerOptions, messages: Message[], leases: MessageLeases) {
  const { sqs, queueUrl } = options;
  const batch = messages.map((m) => ({ id: m.MessageId ?? "", body: m.Body ?? "" }));
  const controls = new Map(messages.map((m) => [m.MessageId ?? "", leases.take(m)]));
  let failed: string[];
  try {
    failed = await options.process(batch, (id) => controls.get(id));
  } catch (error) {
    logger.error("batch", { error: describeError(error) });
    failed = batch.map((m) => m.id);
  }
  const succeeded = messages.filter((m) => {
    const id = m.MessageId ?? "";
    return !failed.includes(id) && !leases.wasAbandoned(id);
  });
  for (const m of messages) leases.release(m.MessageId ?? "");
  await inBatchesOfTen(succeeded, async (chunk) => {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    for (const failure of out.Failed ?? []) {
      logger.error("delete", { error: `${failure.Code}: ${failure.Message}` });
    }
  }).catch((error: unknown) => logger.error("delete", { error: describeError(error) }));
  options.onSettled?.(succeeded.length, messages.length - succeeded.length);
}

/** Receives up to `room` messages; an empty list after a failed receive (logged, backed off). */
async function receive(options: QueuePollerOptions, room: number, failures: { count: number }) {
  try {
    const out = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, room),
        WaitTimeSeconds: WAIT_SECONDS,
      }),
      { abortSignal: options.stop },
    );
    failures.count = 0;
    return out.Messages ?? [];
  } catch (error) {
    if (options.stop.aborted) return [];
    failures.count++;
    logger.warn("receive", { error: describeError(error), failures: failures.count });
    await sleep(backoffDelay(failures.count, RECEIVE_BACKOFF_BASE_MS, RECEIVE_BACKOFF_MAX_MS), options.stop);
    return [];
  }
}

/**
 * Long-polls the queue with the batch semantics of the Lambda event source: each batch goes
 * through `process`; the messages that succeeded are deleted, the failed ones are left alone, so
 * the queue delivers them again after the visibility timeout and, after its maxReceiveCount, moves
 * them to the dead-letter queue. A message's visibility is extended while its tasks make progress
 * and it is abandoned when they make none (see MessageLeases). Once `stop` is aborted, nothing more
 * is received; what is still in flight after `graceMs` is abandoned.
 */
export async function runQueuePoller(options: QueuePollerOptions): Promise<void> {
  const { stop } = options;
  const leases = new MessageLeases({
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    visibilityTimeout: options.visibilityTimeout,
    abandonAfterMs: options.abandonAfterMs,
  });
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  const failures = { count: 0 };
  try {
    while (!stop.aborted) {
      const room = options.concurrency() - inFlight;
      if (room <= 0) {
        await settlesWithin(Promise.race(running), FULL_RECHECK_MS);
        continue;
      }
      const messages = await receive(options, room, failures);
      if (messages.length === 0) continue;
      options.onReceived?.(messages.length);
      inFlight += messages.length;
      const task: Promise<void> = settleBatch(options, messages, leases).finally(() => {
        inFlight -= messages.length;
        running.delete(task);
      });
      running.add(task);
    }
    const settled = Promise.all(running);
    if (!(await settlesWithin(settled, options.graceMs))) {
      const seconds = Math.round(options.graceMs / 1000);
      const abandoned = leases.abandonAll(`still running ${seconds} s after the stop`);
      logger.warn("shutdown", { abandoned });
      await settlesWithin(settled, ABANDONED_SETTLE_MS);
    }
  } finally {
    leases.close();
  }
}
