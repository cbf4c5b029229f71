import { describe, expect, it } from "vitest";
import { AdaptiveLimit } from "./adaptive-limit.js";

/**
 * A link as the limit sees it: each slot moves `perSlot` bytes a sample, the link at most
 * `capacity` in all; work is always waiting unless told otherwise.
 */
function simulate(options: { perSlot: number; capacity: number; max?: number; initial?: number }) {
  const state = { waiting: true };
  const limit = new AdaptiveLimit(
    { initial: options.initial ?? 8, min: 2, max: options.max ?? 64 },
    { waiting: () => state.waiting, apply: () => {} },
    0,
  );
  const run = (samples: number) => {
    const limits: number[] = [];
    for (let i = 0; i < samples; i++) {
      limit.bytes(Math.min(limit.limit * options.perSlot, options.capacity));
      limit.sample();
      limits.push(limit.limit);
    }
    return limits;
  };
  return { limit, run, state };
}

describe("AdaptiveLimit", () => {
  it("rises to the knee of a long, thin link and stays near it", () => {
    // 80 MB/s at 2 MB/s per connection: 40 connections fill it.
    const { run } = simulate({ perSlot: 2, capacity: 80 });
    const limits = run(40);
    // Doubling at first: past 40 within a few seconds (samples of 500 ms).
    expect(limits.findIndex((l) => l >= 40)).toBeLessThan(10);
    for (const l of limits.slice(20)) {
      expect(l).toBeGreaterThanOrEqual(40);
      expect(l).toBeLessThanOrEqual(52);
    }
  });

  it("stays low where more in flight moves nothing more (loopback, CPU-bound)", () => {
    const { run } = simulate({ perSlot: 40, capacity: 300 });
    const limits = run(40);
    expect(Math.max(...limits.slice(10))).toBeLessThanOrEqual(16);
    expect(Math.min(...limits.slice(10))).toBeGreaterThanOrEqual(8);
  });

  it("never goes past its bounds", () => {
    const { run } = simulate({ perSlot: 1, capacity: 1_000, max: 24 });
    expect(Math.max(...run(40))).toBe(24);
  });

  it("cuts the limit on congestion: hard for throttling, gently for a reset", () => {
    const { limit, run } = simulate({ perSlot: 2, capacity: 80 });
    run(30);
    const before = limit.limit;
    limit.congested("throttled");
    run(1);
    expect(limit.limit).toBe(Math.round(before * 0.7));
    const second = limit.limit;
    limit.congested("broken");
    run(1);
    expect(limit.limit).toBe(Math.round(second * 0.9));
  });

  it("does not rise while the demand, not the limit, bounds what is in flight", () => {
    const { run, state } = simulate({ perSlot: 2, capacity: 80 });
    state.waiting = false;
    expect(new Set(run(20))).toEqual(new Set([8]));
  });
});
