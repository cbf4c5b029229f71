import { afterEach, describe, expect, it, vi } from "vitest";
import { CancelledError } from "./errors.js";
import { type HedgedRun, Hedger, hedgeThreshold } from "./hedged-transfers.js";

/** Transfers that take `ms` of fake time, unless they are told to hang. */
function transfer(ms: number, runs: AbortSignal[]) {
  return ({ signal }: HedgedRun) =>
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
async function warmUp(hedger: Hedger, work: (run: HedgedRun) => Promise<string>, ms = 1_000) {
  for (let i = 0; i < 4; i++) {
    const done = hedger.run(work);
    await vi.advanceTimersByTimeAsync(ms);
    await done;
  }
}

/** A run that moves a byte every 50 ms for `movingMs`, then goes quiet until it is aborted. */
function quietAfter(movingMs: number, runs: AbortSignal[], options: { allRead?: boolean } = {}) {
  return (run: HedgedRun) =>
    new Promise<string>((resolve, reject) => {
      runs.push(run.signal);
      if (runs.length > 1) {
        setTimeout(() => resolve(`run ${runs.length}`), 1_000);
        return;
      }
      const pulse = setInterval(() => run.moved(), 50);
      setTimeout(() => {
        clearInterval(pulse);
        if (options.allRead) run.allRead();
      }, movingMs);
      run.signal.addEventListener("abort", () => {
        clearInterval(pulse);
        reject(run.signal.reason);
      });
    });
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

  it("hedges no late transfer while most in flight are late together (a link they share slowed)", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => false);
    await warmUp(hedger, transfer(1_000, []));
    const slowed = Array.from({ length: 8 }, () => [] as AbortSignal[]);
    const done = slowed.map((runs) => hedger.run(transfer(3_000, runs)));
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(done);
    expect(slowed.map((runs) => runs.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("hedges the last few in flight when they are all late (a short tail leaves the link room)", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => false);
    await warmUp(hedger, transfer(1_000, []));
    const tail = Array.from({ length: 2 }, () => [] as AbortSignal[]);
    for (const runs of tail) void hedger.run(transfer(10_000, runs));
    await vi.advanceTimersByTimeAsync(2_250);
    expect(tail.map((runs) => runs.length)).toEqual([2, 2]);
  });
});

describe("Hedger on a transfer gone quiet", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hedges a transfer that stops moving bytes while it reads, before it is late", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => false);
    await warmUp(hedger, transfer(10_000, []), 10_000);
    const runs: AbortSignal[] = [];
    const stalled = hedger.run(quietAfter(1_000, runs));
    await vi.advanceTimersByTimeAsync(2_900);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    // Hedged 2 s after its last byte, where being late would take 12 s.
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(stalled).resolves.toBe("run 2");
  });

  it("hedges a quiet transfer while work waits, but not many at once (the link stopped)", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => true);
    const alone: AbortSignal[] = [];
    const one = hedger.run(quietAfter(1_000, alone));
    await vi.advanceTimersByTimeAsync(3_500);
    expect(alone).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(one).resolves.toBe("run 2");

    const together = Array.from({ length: 4 }, () => [] as AbortSignal[]);
    for (const runs of together) void hedger.run(quietAfter(1_000, runs));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(together.map((runs) => runs.length)).toEqual([1, 1, 1, 1]);
  });

  it("waits twice the pauses its peers make, where pauses over 2 s are routine", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => true);
    // 64 parts sharing 40 MB/s: each moves a burst, then waits 2.2 s for the kernel's buffer.
    const peers = Array.from({ length: 8 }, () => [] as AbortSignal[]);
    peers.forEach((runs, i) => {
      void hedger.run((run) => {
        runs.push(run.signal);
        return new Promise<string>((resolve) => {
          setTimeout(() => {
            run.moved();
            const pulse = setInterval(() => run.moved(), 2_200);
            setTimeout(() => {
              clearInterval(pulse);
              resolve("done");
            }, 20_000);
          }, i * 275);
        });
      });
    });
    await vi.advanceTimersByTimeAsync(3_000);
    const stalled: AbortSignal[] = [];
    void hedger.run(quietAfter(100, stalled));
    await vi.advanceTimersByTimeAsync(4_200);
    expect(stalled).toHaveLength(1);
    // Quiet since 3.1 s: hedged at the first look past 2 x 2.2 s.
    await vi.advanceTimersByTimeAsync(800);
    expect(stalled).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(peers.map((runs) => runs.length)).toEqual(peers.map(() => 1));
  });

  it("leaves a quiet transfer that has read everything (its answer to come) until it is late", async () => {
    vi.useFakeTimers();
    const hedger = new Hedger(() => false);
    await warmUp(hedger, transfer(10_000, []), 10_000);
    const runs: AbortSignal[] = [];
    const waiting = hedger.run(quietAfter(1_000, runs, { allRead: true }));
    await vi.advanceTimersByTimeAsync(11_000);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(waiting).resolves.toBe("run 2");
  });
});

describe("hedgeThreshold", () => {
  const around = (median: number, spread: number) =>
    Array.from({ length: 20 }, (_, i) => median + (spread * (i - 10)) / 10);

  it("hedges alike transfers at 1.2 x their median", () => {
    // The parts of 1 GiB on the long-fat link: 6.15-6.31 s.
    expect(hedgeThreshold(around(6_200, 100))).toBeCloseTo(1.2 * 6_200, -1);
  });

  it("waits longer as the durations spread", () => {
    const threshold = hedgeThreshold(around(6_000, 1_000));
    expect(threshold).toBeGreaterThan(1.2 * 6_000);
    expect(threshold).toBeLessThan(1.5 * 6_000);
  });

  it("waits 1.5 x the median at most, and 2 s at least", () => {
    expect(hedgeThreshold(around(6_000, 3_000))).toBe(1.5 * 6_000);
    expect(hedgeThreshold(around(500, 10))).toBe(2_000);
  });
});
