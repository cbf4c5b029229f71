import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { backoffDelay, describeError } from "../engine/index.js";
import type { QueuedMessage } from "../events/tasks.js";
import { logger } from "../worker/telemetry.js";

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Messages in flight at most. */
  concurrency: number;
  /** Handles a batch; returns the ids of the messages that failed (left for redelivery). */
  process(messages: QueuedMessage[]): Promise<string[]>;
  /** Aborted: stop receiving; the batches in flight are finished (or paused) and settled. */
  stop: AbortSignal;
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

/** The queue's visibility timeout in seconds; also proves the queue exists and is reachable. */
export async function queueVisibilityTimeout(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
  );
  return Number(out.Attributes?.VisibilityTimeout ?? 30);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

async function inBatchesOfTen<T>(items: readonly T[], send: (batch: T[]) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += 10) await send(items.slice(start, start + 10));
}

/**
 * Runs one batch through `process`; deletes the messages that succeeded and leaves the failed ones
 * for the queue to deliver again. `working` (the heartbeat's receipt handles) forgets the batch.
 */
async function settleBatch(
  options: QueuePollerOptions,
  messages: Message[],
  working: Map<string, string>,
): Promise<void> {
  const { sqs, queueUrl } = options;
  const batch = messages.map((m) => ({ id: m.MessageId ?? "", body: m.Body ?? "" }));
  let failed: string[];
  try {
    failed = await options.process(batch);
  } catch (error) {
    logger.error("batch", { error: describeError(error) });
    failed = batch.map((m) => m.id);
  }
  const succeeded = messages.filter((m) => !failed.includes(m.MessageId ?? ""));
  for (const m of messages) working.delete(m.MessageId ?? "");
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

/**
 * Long-polls the queue with the batch semantics of the Lambda event source: each batch goes
 * through `process`; the messages that succeeded are deleted, the failed ones are left alone, so
 * the queue delivers them again after the visibility timeout and, after its maxReceiveCount, moves
 * them to the dead-letter queue. While a message is being worked on, its visibility is extended
 * every third of the timeout, so a long copy is never handed to a second worker.
 */
export async function runQueuePoller(options: QueuePollerOptions, visibilityTimeout: number): Promise<void> {
  const { sqs, queueUrl, stop } = options;
  /** Receipt handles of the messages being worked on, for the heartbeat. */
  const working = new Map<string, string>();
  const heartbeat =
    visibilityTimeout > 0
      ? setInterval(
          () => {
            extendVisibility(sqs, queueUrl, [...working.values()], visibilityTimeout);
          },
          Math.max(1, Math.floor(visibilityTimeout / 3)) * 1000,
        )
      : undefined;
  heartbeat?.unref();

  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let receiveFailures = 0;

  while (!stop.aborted) {
    const room = options.concurrency - inFlight;
    if (room <= 0) {
      await Promise.race(running);
      continue;
    }
    let messages: Message[];
    try {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, room),
          WaitTimeSeconds: WAIT_SECONDS,
        }),
        { abortSignal: stop },
      );
      messages = out.Messages ?? [];
      receiveFailures = 0;
    } catch (error) {
      if (stop.aborted) break;
      receiveFailures++;
      logger.warn("receive", { error: describeError(error), failures: receiveFailures });
      await sleep(backoffDelay(receiveFailures, RECEIVE_BACKOFF_BASE_MS, RECEIVE_BACKOFF_MAX_MS), stop);
      continue;
    }
    if (messages.length === 0) continue;
    options.onReceived?.(messages.length);
    for (const m of messages) working.set(m.MessageId ?? "", m.ReceiptHandle ?? "");
    inFlight += messages.length;
    const task: Promise<void> = settleBatch(options, messages, working).finally(() => {
      inFlight -= messages.length;
      running.delete(task);
    });
    running.add(task);
  }
  await Promise.all(running);
  if (heartbeat) clearInterval(heartbeat);
}

function extendVisibility(sqs: SQSClient, queueUrl: string, handles: string[], seconds: number): void {
  if (handles.length === 0) return;
  inBatchesOfTen(handles, async (chunk) => {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((handle, i) => ({
          Id: String(i),
          ReceiptHandle: handle,
          VisibilityTimeout: seconds,
        })),
      }),
    );
  }).catch((error: unknown) => logger.warn("visibility", { error: describeError(error) }));
}
