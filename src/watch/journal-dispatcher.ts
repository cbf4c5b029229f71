import { backoffDelay, describeError } from "../engine/index.js";
import { parseMessageBody } from "../events/parse-events.js";
import type { EventFilter } from "../events/s3-events.js";
import type { QueuedMessage } from "../events/tasks.js";
import { logger } from "../worker/telemetry.js";
import type { EventJournal, JournaledEvent } from "./event-journal.js";

export interface DispatcherOptions {
  journal: EventJournal;
  filter: EventFilter;
  /** Events in flight at most; asked again before each one starts (the engine adapts it to the link). */
  limit(): number;
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

/**
 * Events read from disk whose keys are in flight: they wait in memory for those keys, the rest of
 * the queue waits on disk. A body is at most the receiver's limit, so this bounds what they hold.
 */
const READ_AHEAD = 16;

/** An event read from the journal: its body and the object keys it names. */
interface LoadedEvent {
  event: JournaledEvent;
  body: string;
  keys: string[];
}

function keysOf(body: string, filter: EventFilter): string[] {
  try {
    return parseMessageBody(body, filter).tasks.flatMap((task) => (task.kind === "object" ? [task.key] : []));
  } catch {
    return [];
  }
}

/**
 * Works off the journal's events in arrival order, `limit()` at a time, never two for the same key
 * at once (so the last event for a key is also the last one handled, and the target ends as the
 * source is). Waiting events are kept as ids only: each body is read from disk when its turn comes,
 * so memory does not grow with the queue. A failed event is retried with backoff (its attempts
 * counted in its file name) and, after `maxAttempts`, moved to failed/.
 */
export class JournalDispatcher {
  private readonly fresh: JournaledEvent[] = [];
  private readonly retrying: { event: JournaledEvent; notBefore: number }[] = [];
  private readonly blocked: LoadedEvent[] = [];
  private readonly busyKeys = new Set<string>();
  private running = 0;
  /** An event taken from the queue whose body is being read (one at most: one pump at a time). */
  private reading = 0;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  /** Events on disk not yet settled: waiting (for their turn, a retry or a key) and running. */
  get counts(): { waiting: number; running: number } {
    const waiting = this.fresh.length + this.retrying.length + this.reading + this.blocked.length;
    return { waiting, running: this.running };
  }

  /** Queues the events an earlier run left pending (their bodies stay on disk). */
  async recover(): Promise<number> {
    const events = await this.options.journal.pending();
    for (const event of events) this.fresh.push(event);
    this.pump();
    return events.length;
  }

  add(event: JournaledEvent): void {
    this.fresh.push(event);
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

  /** One pump at a time reads from disk; a call while it runs makes it look again. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.fill()
      .catch((error: unknown) => logger.error("journal", { error: describeError(error) }))
      .finally(() => {
        this.pumping = false;
        // A settle may have asked between the last look and here.
        if (this.pumpAgain && !this.stopped) this.pump();
      });
  }

  private async fill(): Promise<void> {
    do {
      this.pumpAgain = false;
      this.startUnblocked();
      while (this.hasRoom() && this.blocked.length < READ_AHEAD) {
        const event = this.nextDue();
        if (!event) break;
        const loaded = await this.load(event);
        if (loaded) this.blocked.push(loaded);
        this.startUnblocked();
      }
    } while (this.pumpAgain && !this.stopped);
    this.armRetryTimer();
  }

  private hasRoom(): boolean {
    return !this.stopped && this.running < Math.max(1, this.options.limit());
  }

  /** Starts the events read ahead whose keys are free, oldest first. */
  private startUnblocked(): void {
    for (let i = 0; i < this.blocked.length && this.hasRoom(); ) {
      const loaded = this.blocked[i] as LoadedEvent;
      if (loaded.keys.some((key) => this.busyKeys.has(key))) {
        i++;
        continue;
      }
      this.blocked.splice(i, 1);
      this.start(loaded);
    }
  }

  /** The oldest retry that is due, else the oldest new event. */
  private nextDue(): JournaledEvent | undefined {
    const now = Date.now();
    const due = this.retrying.findIndex((entry) => entry.notBefore <= now);
    if (due >= 0) return this.retrying.splice(due, 1)[0]?.event;
    return this.fresh.shift();
  }

  private async load(event: JournaledEvent): Promise<LoadedEvent | undefined> {
    this.reading++;
    try {
      const body = await this.options.journal.read(event);
      return { event, body, keys: keysOf(body, this.options.filter) };
    } catch (error) {
      logger.error("journal", { event: event.id, outcome: "unreadable", error: describeError(error) });
      return undefined;
    } finally {
      this.reading--;
    }
  }

  private armRetryTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.retrying.length === 0) return;
    const next = this.retrying.reduce((soonest, entry) => Math.min(soonest, entry.notBefore), Infinity);
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private start(loaded: LoadedEvent): void {
    this.running++;
    for (const key of loaded.keys) this.busyKeys.add(key);
    this.settle(loaded)
      .catch((error: unknown) =>
        logger.error("journal", { event: loaded.event.id, error: describeError(error) }),
      )
      .finally(() => {
        this.running--;
        for (const key of loaded.keys) this.busyKeys.delete(key);
        if (this.stopped && this.running === 0) this.idle?.();
        this.pump();
      });
  }

  private async settle({ event, body }: LoadedEvent): Promise<void> {
    const { journal, maxAttempts } = this.options;
    const failed = await this.options.process([{ id: event.id, body }]);
    if (failed.length === 0) {
      await journal.done(event);
      this.options.onSettled?.("done");
      return;
    }
    const counted = await journal.attemptFailed(event);
    if (counted.attempts >= maxAttempts) {
      const file = await journal.deadLetter(counted);
      logger.error("event", { event: event.id, outcome: "dead-letter", attempts: counted.attempts, file });
      this.options.onSettled?.("dead-letter");
      return;
    }
    const notBefore = Date.now() + backoffDelay(counted.attempts - 1, RETRY_BASE_MS, RETRY_MAX_MS);
    this.retrying.push({ event: counted, notBefore });
    this.options.onSettled?.("retry");
  }
}
