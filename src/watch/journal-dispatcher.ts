import { backoffDelay, describeError } from "../engine/index.js";
import { parseMessageBody } from "../events/parse-events.js";
import type { EventFilter } from "../events/s3-events.js";
import type { QueuedMessage } from "../events/tasks.js";
import { logger } from "../worker/telemetry.js";
import type { EventJournal } from "./event-journal.js";

export interface DispatcherOptions {
  journal: EventJournal;
  filter: EventFilter;
  /** Events in flight at most. */
  concurrency: number;
  /** Attempts per event before it moves to the journal's failed/ directory. */
  maxAttempts: number;
  /** Handles one event; returns its id when it failed. */
  process(messages: QueuedMessage[]): Promise<string[]>;
  onSettled?(outcome: "done" | "retry" | "dead-letter"): void;
}

/**
 * A failed event waits up to 1 s, then up to 2, 4, 8 s, never over 30 s: the journal is this
 * worker's only queue, so a cause fixed within seconds (a policy, a key) still lets the event
 * succeed, and with the default 5 attempts an event is given up after at most 15 s of waiting.
 */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;

interface Entry {
  id: string;
  body: string;
  /** The object keys the event names: two events for one key never run at once. */
  keys: string[];
  attempts: number;
  notBefore: number;
}

function keysOf(body: string, filter: EventFilter): string[] {
  try {
    return parseMessageBody(body, filter).tasks.flatMap((task) => (task.kind === "object" ? [task.key] : []));
  } catch {
    return [];
  }
}

/**
 * Works off the journal's events in arrival order, `concurrency` at a time, never two for the same
 * key at once (so the last event for a key is also the last one handled, and the target ends as
 * the source is). A failed event is retried with backoff and, after `maxAttempts`, moved to failed/.
 */
export class JournalDispatcher {
  private readonly waiting: Entry[] = [];
  private readonly busyKeys = new Set<string>();
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  get counts(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running };
  }

  /** Loads the events an earlier run left pending. */
  async recover(): Promise<number> {
    const ids = await this.options.journal.pending();
    for (const id of ids) this.add(id, await this.options.journal.read(id));
    return ids.length;
  }

  add(id: string, body: string): void {
    this.waiting.push({ id, body, keys: keysOf(body, this.options.filter), attempts: 0, notBefore: 0 });
    this.pump();
  }

  /** Starts no new event; resolves when the events in flight are settled. Waiting ones stay journaled. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    let nextRetry = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.waiting.length && this.running < this.options.concurrency; ) {
      const entry = this.waiting[i] as Entry;
      if (entry.notBefore > now) nextRetry = Math.min(nextRetry, entry.notBefore);
      if (entry.notBefore > now || entry.keys.some((key) => this.busyKeys.has(key))) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(entry);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (nextRetry !== Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, nextRetry - now));
      this.timer.unref();
    }
  }

  private start(entry: Entry): void {
    this.running++;
    for (const key of entry.keys) this.busyKeys.add(key);
    this.settle(entry)
      .catch((error: unknown) => logger.error("journal", { event: entry.id, error: describeError(error) }))
      .finally(() => {
        this.running--;
        for (const key of entry.keys) this.busyKeys.delete(key);
        if (this.stopped && this.running === 0) this.idle?.();
        this.pump();
      });
  }

  private async settle(entry: Entry): Promise<void> {
    const { journal, maxAttempts } = this.options;
    const failed = await this.options.process([{ id: entry.id, body: entry.body }]);
    if (failed.length === 0) {
      await journal.done(entry.id);
      this.options.onSettled?.("done");
      return;
    }
    entry.attempts++;
    if (entry.attempts >= maxAttempts) {
      await journal.deadLetter(entry.id);
      logger.error("event", {
        event: entry.id,
        outcome: "dead-letter",
        attempts: entry.attempts,
        file: `${journal.failedDir}/${entry.id}`,
      });
      this.options.onSettled?.("dead-letter");
      return;
    }
    entry.notBefore = Date.now() + backoffDelay(entry.attempts - 1, RETRY_BASE_MS, RETRY_MAX_MS);
    this.waiting.push(entry);
    this.options.onSettled?.("retry");
  }
}
