import { ChangeMessageVisibilityBatchCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../engine/index.js";
import type { TaskControl } from "../worker/run-task.js";
import { logger } from "../worker/telemetry.js";

export interface LeaseSettings {
  sqs: SQSClient;
  queueUrl: string;
  /** The queue's visibility timeout, in seconds (0: nothing to extend). */
  visibilityTimeout: number;
  /** A message whose tasks moved no byte for this long is abandoned (two stall timeouts). */
  abandonAfterMs: number;
}

/** One message being worked on. */
interface Lease {
  receiptHandle: string;
  controller: AbortController;
  /** Bytes its tasks moved since its visibility was last extended (or since it was received). */
  movedSinceExtension: number;
  extendedAt: number;
  lastProgressAt: number;
}

/** How often leases are looked at: the abandon bound is met to within this. */
const TICK_MS = 1_000;

/** SQS takes at most ten entries per batch request. */
export async function inBatchesOfTen<T>(
  items: readonly T[],
  send: (batch: T[]) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < items.length; start += 10) await send(items.slice(start, start + 10));
}

/**
 * The messages a worker holds, and how long it keeps holding each: its visibility is extended only
 * while its tasks move bytes (every third of the visibility timeout, by another timeout); a message
 * whose tasks moved nothing for `abandonAfterMs` is abandoned: its tasks are cancelled, and it is
 * made visible at once and never deleted, so SQS delivers it again (to this or another worker) and
 * its receive count, hence the dead-letter queue, still applies.
 */
export class MessageLeases {
  private readonly leases = new Map<string, Lease>();
  private readonly abandoned = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly settings: LeaseSettings) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Starts holding a received message; what its tasks run with. */
  take(message: Message): TaskControl {
    const id = message.MessageId ?? "";
    const now = Date.now();
    const lease: Lease = {
      receiptHandle: message.ReceiptHandle ?? "",
      controller: new AbortController(),
      movedSinceExtension: 0,
      extendedAt: now,
      lastProgressAt: now,
    };
    this.leases.set(id, lease);
    return {
      signal: lease.controller.signal,
      onProgress: (bytes) => {
        lease.movedSinceExtension += bytes;
        lease.lastProgressAt = Date.now();
      },
    };
  }

  /** The message was abandoned: it must not be deleted, whatever its tasks ended with. */
  wasAbandoned(id: string): boolean {
    return this.abandoned.has(id);
  }

  /** The message's batch settled: it is held no more. */
  release(id: string): void {
    this.leases.delete(id);
    this.abandoned.delete(id);
  }

  /** Abandons every message still held (on shutdown, once the grace period is over). */
  abandonAll(reason: string): number {
    const ids = [...this.leases.keys()].filter((id) => !this.abandoned.has(id));
    this.abandon(ids, reason);
    return ids.length;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private abandon(ids: string[], reason: string): void {
    if (ids.length === 0) return;
    const handles: string[] = [];
    for (const id of ids) {
      const lease = this.leases.get(id);
      if (!lease) continue;
      this.abandoned.add(id);
      handles.push(lease.receiptHandle);
      logger.warn("abandoned", { messageId: id, reason });
      lease.controller.abort(new Error(`abandoned: ${reason}; the message is left for redelivery`));
    }
    this.setVisibility(handles, 0);
  }

  private tick(): void {
    const now = Date.now();
    const { abandonAfterMs, visibilityTimeout } = this.settings;
    const idle: string[] = [];
    const extend: string[] = [];
    for (const [id, lease] of this.leases) {
      if (this.abandoned.has(id)) continue;
      if (now - lease.lastProgressAt >= abandonAfterMs) idle.push(id);
      else if (
        visibilityTimeout > 0 &&
        lease.movedSinceExtension > 0 &&
        now - lease.extendedAt >= (visibilityTimeout * 1000) / 3
      ) {
        lease.movedSinceExtension = 0;
        lease.extendedAt = now;
        extend.push(lease.receiptHandle);
      }
    }
    this.abandon(idle, `no bytes moved for ${Math.round(abandonAfterMs / 1000)} s`);
    this.setVisibility(extend, visibilityTimeout);
  }

  private setVisibility(handles: string[], seconds: number): void {
    if (handles.length === 0) return;
    const { sqs, queueUrl } = this.settings;
    inBatchesOfTen(handles, async (chunk) => {
      const out = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((handle, i) => ({
            Id: String(i),
            ReceiptHandle: handle,
            VisibilityTimeout: seconds,
          })),
        }),
      );
      for (const failure of out.Failed ?? []) {
        logger.warn("visibility", { error: `${failure.Code}: ${failure.Message}` });
      }
    }).catch((error: unknown) => logger.warn("visibility", { error: describeError(error) }));
  }
}
