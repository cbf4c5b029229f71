import { afterEach, describe, expect, it, vi } from "vitest";
import { CancelledError } from "./errors.js";
import { Hedger } from "./hedged-transfers.js";

/** Transfers that take `ms` of fake time, unless they are told to hang. */
function transfer(ms: number, runs: AbortSignal[]) {
  return (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      runs.push(signal);
      const run = runs.length;
      const timer = run === 5 ? undefined : setTimeout(() => resolve(`run ${run}`), ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
}

/** Four typical transfers of 1 s, one after the other: the median hedging compares with. */
async function warmUp(hedger: Hedger, work: (signal: AbortSignal) => Promise<string>) {
  for (let i = 0; i < 4; i++) {
    const done = hedger.run(work);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
  }
}

describe("Hedger", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts a transfer far behind its peers once more, takes the first to finish, cancels the other", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => false);
    const runs: AbortSignal[] = [];
    const work = transfer(1_000, runs);
    // The fifth transfer hangs.
    await warmUp(hedger, work);
    const slow = hedger.run(work);
    await vi.advanceTimersByTimeAsync(2_250);
    expect(runs).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(slow).resolves.toBe("run 6");
    expect(runs[4]?.aborted).toBe(true);
    expect(runs[4]?.reason).toBeInstanceOf(CancelledError);
  });

  it("hedges nothing while work waits for a slot", async () => {
    vi.useFakeTimers();
    let waiting = true;
    const hedger = new Hedger(() => waiting);
    const runs: AbortSignal[] = [];
    const work = transfer(1_000, runs);
    await warmUp(hedger, work);
    const slow = hedger.run(work);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(5);
    waiting = false;
    await vi.advanceTimersByTimeAsync(250);
    // Hedged once nothing waits.
    expect(runs).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(slow).resolves.toBe("run 6");
  });
});
