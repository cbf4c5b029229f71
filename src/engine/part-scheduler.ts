import pLimit, { type LimitFunction } from "p-limit";
import { WHOLE_OBJECTS_PER_PART_SLOT } from "./types.js";

/** How one multipart copy wants its parts started, beside the slots all copies share. */
export interface LaneOptions {
  /** Parts of this copy in flight at most (its own bound, under the shared one). */
  window: number;
  /**
   * Each part starts once the part before it has read this many bytes (or stopped); 0 starts them
   * as slots free up. See `StartStagger`.
   */
  staggerLead: number;
  /** A part keeps its slots until this resolves (the ordered digest has hashed its bytes). */
  holdUntil?: (partNumber: number) => Promise<void>;
  /** Asked before each part starts; false starts no more parts: the copy pauses. */
  shouldStart?: () => boolean;
  /** Called once, with the first part's failure, before the parts still waiting are let go. */
  onFailure?: (error: unknown) => void;
}

/** One part's run: `read` reports the bytes the part has read so far, for the stagger. */
export type PartWork = (partNumber: number, read: (bytesSoFar: number) => void) => Promise<void>;

/**
 * What is in flight across all copies of one engine and when the next part starts: `concurrency`
 * part slots shared by every multipart copy, and WHOLE_OBJECTS_PER_PART_SLOT times as many for
 * objects copied in one PUT.
 */
export class PartScheduler {
  private readonly parts: LimitFunction;
  private readonly wholes: LimitFunction;

  constructor(readonly concurrency: number) {
    this.parts = pLimit(concurrency);
    this.wholes = pLimit(concurrency * WHOLE_OBJECTS_PER_PART_SLOT);
  }

  /** Runs one whole-object copy (one GET streamed into one PUT) when a slot is free. */
  runWhole<T>(work: () => Promise<T>): Promise<T> {
    return this.wholes(work);
  }

  /**
   * Runs `work` for every part of one copy, each within the copy's window and a shared slot. After
   * the first failure no part starts, and the call rejects with that failure once every started part
   * has settled; resolves with `paused` when `shouldStart` stopped it.
   */
  async runParts(
    partNumbers: readonly number[],
    work: PartWork,
    options: LaneOptions,
  ): Promise<{ paused: boolean }> {
    const window = pLimit(options.window);
    const stagger = options.staggerLead > 0 ? new StartStagger(options.staggerLead) : undefined;
    let paused = false;
    let failed = false;
    const runPart = async (partNumber: number) => {
      try {
        if (failed || paused) return;
        if (options.shouldStart?.() === false) {
          paused = true;
          return;
        }
        await stagger?.turnOf(partNumber);
        // A part that failed while this one waited for its turn: start nothing more.
        if (failed) return;
        await work(partNumber, (bytes) => stagger?.read(partNumber, bytes));
        await options.holdUntil?.(partNumber);
      } catch (error) {
        if (!failed) options.onFailure?.(error);
        failed = true;
        throw error;
      } finally {
        stagger?.stopped(partNumber);
      }
    };
    const results = await Promise.allSettled(
      partNumbers.map((n) => window(() => this.parts(() => runPart(n)))),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    return { paused };
  }
}

/**
 * Spaces the starts of parts: each part starts once the part before it has read `lead` bytes (or
 * stopped). Under an ordered digest the bytes of every part ahead of the one being hashed wait in
 * memory; parts started together finish together with nearly all their bytes waiting, while parts
 * started `lead` = part size / concurrency apart hold about half as much, with as many in flight.
 */
class StartStagger {
  private readonly gates = new Map<number, { opened: Promise<void>; open: () => void }>();

  constructor(private readonly lead: number) {}

  private gate(partNumber: number) {
    let gate = this.gates.get(partNumber);
    if (!gate) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { opened, open };
      this.gates.set(partNumber, gate);
    }
    return gate;
  }

  /** Resolves when `partNumber` may start. */
  turnOf(partNumber: number): Promise<void> {
    return partNumber <= 1 ? Promise.resolve() : this.gate(partNumber - 1).opened;
  }

  read(partNumber: number, bytesSoFar: number): void {
    if (bytesSoFar >= this.lead) this.gate(partNumber).open();
  }

  stopped(partNumber: number): void {
    this.gate(partNumber).open();
  }
}
