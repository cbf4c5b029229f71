import { afterEach, describe, expect, it, vi } from "vitest";
import { PartScheduler } from "./part-scheduler.js";

describe("PartScheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets a copy's waiting parts in as soon as the adapted limit grows its window, before any part ends", async () => {
    vi.useFakeTimers();
    const scheduler = new PartScheduler({ concurrency: 2, adaptiveMax: 8 });
    let inFlight = 0;
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const copied = scheduler.runParts(
      [1, 2, 3, 4, 5, 6, 7, 8],
      async () => {
        inFlight++;
        await finished;
      },
      {
        settled: async () => 0,
        window: () => scheduler.concurrency - 1,
      },
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(inFlight).toBe(1);
    // Nothing finishes on a slow link: the limit doubles unjudged, 2 to 4 to 8.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(scheduler.concurrency).toBe(8);
    expect(inFlight).toBe(7);
    finish();
    await copied;
  });
});
