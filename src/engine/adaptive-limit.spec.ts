import { afterEach, describe, expect, it, vi } from "vitest";
import { AdaptiveLimit, SAMPLE_MS } from "./adaptive-limit.js";

/**
 * A link as the limit sees it, sample by sample: each slot carries `perSlot` bytes/s, the link at
 * most `capacity` in all, shared evenly; transfers of `size` bytes finish as their slots move them
 * (tagged with the limit they started under). Work is always waiting unless told otherwise.
 */
function simulate(options: {
  perSlot: number;
  capacity: number;
  size?: number;
  max?: number;
  initial?: number;
}) {
  const state = { waiting: true };
  const size = options.size ?? 8;
  const limit = new AdaptiveLimit(
    { initial: options.initial ?? 16, min: 2, max: options.max ?? 64 },
    { waiting: () => state.waiting, apply: () => {} },
    0,
  );
  let owed = 0;
  const run = (samples: number) => {
    const limits: number[] = [];
    for (let i = 0; i < samples; i++) {
      const slotRate = Math.min(options.perSlot, options.capacity / limit.limit);
      owed += (limit.limit * slotRate * SAMPLE_MS) / 1000 / size;
      const tag = limit.started();
      for (; owed >= 1; owed--) limit.transferred(tag, size, (size / slotRate) * 1000);
      limit.sample();
      limits.push(limit.limit);
    }
    return limits;
  };
  return { limit, run, state };
}

describe("AdaptiveLimit", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("doubles while nothing finishes at the start, then cuts an overshoot back to the knee", () => {
    vi.useFakeTimers();
    const limit = new AdaptiveLimit(
      { initial: 16, min: 2, max: 64 },
      { waiting: () => true, apply: () => {} },
      0,
    );
    const tags: number[] = [];
    // 80 MB/s at 2 MB/s per connection; 8 MiB parts take seconds, nothing finishes for a while.
    for (let i = 0; i < 12; i++) {
      tags.push(limit.started());
      vi.advanceTimersByTime(250);
      limit.sample();
    }
    expect(limit.limit).toBe(64);
    // Then the transfers of the first limit finish (16 at 2 MB/s), and those of the last (80 MB/s shared by 64).
    for (let i = 0; i < 4; i++) limit.transferred(tags[0] ?? 0, 8, 4_000);
    for (let i = 0; i < 4; i++) limit.transferred(limit.started(), 8, 6_400);
    limit.sample();
    expect(limit.limit).toBe(Math.ceil(Math.ceil(16 * 2.5) * 1.1));
  });

  it("rises to the knee of a long, thin link and stays near it", () => {
    // 80 MB/s at 2 MB/s per connection: 40 connections fill it.
    const { run } = simulate({ perSlot: 2, capacity: 80 });
    const limits = run(200);
    expect(limits.findIndex((l) => l >= 40)).toBeLessThan(60);
    for (const l of limits.slice(100)) {
      expect(l).toBeGreaterThanOrEqual(40);
      expect(l).toBeLessThanOrEqual(52);
    }
  });

  it("stays where it is where more in flight moves nothing more (loopback, CPU-bound)", () => {
    const { run } = simulate({ perSlot: 40, capacity: 300 });
    const limits = run(200);
    expect(Math.max(...limits.slice(50))).toBeLessThanOrEqual(24);
    expect(Math.min(...limits.slice(50))).toBeGreaterThanOrEqual(8);
  });

  it("never goes past its bounds", () => {
    const { run } = simulate({ perSlot: 1, capacity: 1_000, max: 24 });
    expect(Math.max(...run(100))).toBe(24);
  });

  it("cuts the limit on congestion: hard for throttling, gently for a reset", () => {
    const { limit, run } = simulate({ perSlot: 2, capacity: 80 });
    run(150);
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
    expect(new Set(run(50))).toEqual(new Set([16]));
  });
});
