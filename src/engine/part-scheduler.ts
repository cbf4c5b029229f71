import pLimit, { type LimitFunction } from "p-limit";
import { AdaptiveLimit } from "./adaptive-limit.js";
import { congestionOf } from "./errors.js";
import { type HedgedRun, Hedger } from "./hedged-transfers.js";
import { WHOLE_OBJECTS_PER_PART_SLOT } from "./types.js";

/** How one multipart copy wants its parts started in the slots all copies share. */
export interface LaneOptions<R> {
  /**
   * The winning run of each part, once (a part may run twice: see Hedger); resolves with the
   * bytes it sent to the target (0 for a part kept from an interrupted upload).
   */
  settled: (partNumber: number, result: R) => Promise<number>;
  /**
   * Parts of this copy in flight at most (asked as each part would start and each ends), under
   * the shared slots; unbounded when absent.
   */
  window?: () => number;
  /**
   * A part stays in its copy's window until this resolves (the ordered digest hashed it); its
   * shared slot is free once it is sent.
   */
  holdUntil?: (partNumber: number) => Promise<void>;
  /** Asked before each part starts; false starts no more parts: the copy pauses. */
  shouldStart?: () => boolean;
  /** Called once, with the first part's failure, before the parts still waiting are let go. */
  onFailure?: (error: unknown) => void;
}

/** One run of one part (a part may run twice: see Hedger). */
export type PartWork<R> = (partNumber: number, run: HedgedRun) => Promise<R>;

export interface SchedulerOptions {
  /** Part slots at the start (and for good, without `adaptiveMax`). */
  concurrency: number;
  /** Adapt the part slots to the link, up to this many (see AdaptiveLimit). */
  adaptiveMax?: number;
}

/** The fewest part slots an adaptive scheduler goes down to. */
const MIN_ADAPTIVE_SLOTS = 2;

/**
 * What is in flight across all copies of one engine and when the next part starts: part slots
 * shared by every multipart copy, and WHOLE_OBJECTS_PER_PART_SLOT times as many for objects copied
 * in one PUT. Fixed, or adapted to the link by the aggregate rate of everything in flight.
 */
export class PartScheduler {
  private readonly parts: LimitFunction;
  private readonly wholes: LimitFunction;
  private readonly adaptive?: AdaptiveLimit;
  /**
   * Hedges wait while work waits for a slot, not for a copy's window: a window full behind one
   * slow part is what a hedge of it frees (a part of a single-part source stalled for 5-20 s on
   * the long-fat link held the 34 behind it for as long).
   */
  private readonly hedger = new Hedger(() => this.parts.pendingCount + this.wholes.pendingCount > 0);
  /** Parts waiting for their copy's window: demand the limit should see. */
  private waitingInWindows = 0;
  /** Lets in what each open window's size now admits; run when the limit, which sizes them, changes. */
  private readonly windowAdmits = new Set<() => void>();

  constructor(options: SchedulerOptions) {
    this.parts = pLimit(options.concurrency);
    this.wholes = pLimit(options.concurrency * WHOLE_OBJECTS_PER_PART_SLOT);
    if (options.adaptiveMax !== undefined && options.adaptiveMax > options.concurrency) {
      const bounds = { initial: options.concurrency, min: MIN_ADAPTIVE_SLOTS, max: options.adaptiveMax };
      this.adaptive = new AdaptiveLimit(bounds, {
        waiting: () => this.workWaits(),
        apply: (limit) => {
          this.parts.concurrency = limit;
          this.wholes.concurrency = limit * WHOLE_OBJECTS_PER_PART_SLOT;
          for (const admit of this.windowAdmits) admit();
        },
      });
    }
  }

  /** Work is waiting for a slot: the limit, not the demand, bounds what is in flight. */
  private workWaits(): boolean {
    return this.parts.pendingCount + this.wholes.pendingCount + this.waitingInWindows > 0;
  }

  /** Part slots now. */
  get concurrency(): number {
    return this.parts.concurrency;
  }

  /** Whole-object slots now: how many objects a driver may hand the engine at once. */
  get objectSlots(): number {
    return this.wholes.concurrency;
  }

  /** A failed attempt of a part or object: throttling, resets and stalls lower the limit. */
  attemptFailed(error: unknown): void {
    const congestion = congestionOf(error);
    if (congestion) this.adaptive?.congested(congestion);
  }

  /**
   * Runs one whole-object copy of `bytes` (one GET streamed into one PUT) when a slot is free,
   * hedged at the tail (see Hedger).
   */
  runWhole<T>(bytes: number, work: (run: HedgedRun) => Promise<T>): Promise<T> {
    return this.wholes(() =>
      this.timed(
        () => this.hedger.run(work),
        () => bytes,
      ),
    );
  }

  /** Runs one transfer and tells the adaptive limit what it moved and how long it took. */
  private async timed<T>(work: () => Promise<T>, bytesOf: (result: T) => number): Promise<T> {
    const tag = this.adaptive?.started() ?? 0;
    const startedAt = Date.now();
    const result = await work();
    this.adaptive?.transferred(tag, bytesOf(result), Date.now() - startedAt);
    return result;
  }

  /**
   * Runs `work` for every part of one copy, each in a shared slot. After
   * the first failure no part starts, and the call rejects with that failure once every started part
   * has settled; resolves with `paused` when `shouldStart` stopped it.
   */
  async runParts<R>(
    partNumbers: readonly number[],
    work: PartWork<R>,
    options: LaneOptions<R>,
  ): Promise<{ paused: boolean }> {
    let paused = false;
    let failed = false;
    /** Resolves true once the part is sent, false when it was not started. */
    const runPart = async (partNumber: number): Promise<boolean> => {
      try {
        if (failed || paused) return false;
        if (options.shouldStart?.() === false) {
          paused = true;
          return false;
        }
        await this.timed(
          async () => {
            const result = await this.hedger.run((run) => work(partNumber, run));
            return options.settled(partNumber, result);
          },
          (sent) => sent,
        );
        return true;
      } catch (error) {
        if (!failed) options.onFailure?.(error);
        failed = true;
        throw error;
      }
    };
    const window = options.window && this.windowOf(options.window);
    if (window) this.windowAdmits.add(window.admit);
    const results = await Promise.allSettled(
      partNumbers.map(async (n) => {
        const release = await window?.enter();
        try {
          if (await this.parts(() => runPart(n))) await options.holdUntil?.(n);
        } finally {
          release?.();
        }
      }),
    );
    if (window) this.windowAdmits.delete(window.admit);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    return { paused };
  }

  /**
   * A copy's own bound on its parts in flight, entered in part order; its size may change. Parts
   * waiting are let in as parts leave and as the size grows: let in only as parts left, a
   * single-part source on the cross-border link kept 4 parts in flight for 2.5 s after the limit
   * had grown its window to 52, until its first part ended. Measured there, before and after:
   * 256 MiB 21-22 to 24 MB/s (28 to 32 connections at most, every part); 1 GiB 32.7 to 34.4 MB/s
   * (44 to 52).
   */
  private windowOf(size: () => number) {
    let inFlight = 0;
    const queue: (() => void)[] = [];
    const admit = () => {
      while (queue.length > 0 && inFlight < size()) {
        inFlight++;
        this.waitingInWindows--;
        queue.shift()?.();
      }
    };
    const release = () => {
      inFlight--;
      admit();
    };
    return {
      admit,
      enter: async (): Promise<() => void> => {
        if (queue.length === 0 && inFlight < size()) {
          inFlight++;
          return release;
        }
        this.waitingInWindows++;
        await new Promise<void>((resolve) => queue.push(resolve));
        return release;
      },
    };
  }
}
