import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CancelledError } from "./errors.js";
import { hedgedRead } from "./hedged-reads.js";

interface Sent {
  signal: AbortSignal;
  answer(value: string): void;
  fail(error: Error): void;
}

/** A read whose answers the test gives by hand; each send is recorded. */
function manualRead(sent: Sent[]) {
  return (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      sent.push({ signal, answer: resolve, fail: reject });
      signal.addEventListener("abort", () => reject(signal.reason));
    });
}

describe("hedgedRead", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends a read answered in time once", async () => {
    const sent: Sent[] = [];
    const done = hedgedRead({}, manualRead(sent));
    await vi.advanceTimersByTimeAsync(1_500);
    sent[0]?.answer("first");
    await expect(done).resolves.toBe("first");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(1);
  });

  it("sends an unanswered read again after 2 s, takes the first answer and aborts the other", async () => {
    const sent: Sent[] = [];
    const done = hedgedRead({}, manualRead(sent));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    sent[1]?.answer("hedge");
    await expect(done).resolves.toBe("hedge");
    expect(sent[0]?.signal.reason).toBeInstanceOf(CancelledError);
  });

  it("discards an answer that comes after the other read's", async () => {
    const sent: Sent[] = [];
    const discarded: string[] = [];
    const done = hedgedRead({}, manualRead(sent), { discard: (late) => discarded.push(late) });
    await vi.advanceTimersByTimeAsync(2_000);
    // Both answered in the same turn: the second cannot be aborted any more.
    sent[1]?.answer("hedge");
    sent[0]?.answer("first");
    await expect(done).resolves.toBe("hedge");
    await vi.advanceTimersByTimeAsync(0);
    expect(discarded).toEqual(["first"]);
  });

  it("fails at once with a read that fails before the threshold, without a hedge", async () => {
    const sent: Sent[] = [];
    const done = hedgedRead({}, manualRead(sent));
    sent[0]?.fail(new Error("AccessDenied"));
    await expect(done).rejects.toThrow("AccessDenied");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(1);
  });

  it("waits for the hedge when the first read fails beside it, and fails only when both have", async () => {
    const sent: Sent[] = [];
    const first = hedgedRead({}, manualRead(sent));
    await vi.advanceTimersByTimeAsync(2_000);
    sent[0]?.fail(new Error("connection reset"));
    sent[1]?.answer("hedge");
    await expect(first).resolves.toBe("hedge");

    const second = hedgedRead({}, manualRead(sent));
    await vi.advanceTimersByTimeAsync(2_000);
    sent[2]?.fail(new Error("first fault"));
    sent[3]?.fail(new Error("second fault"));
    await expect(second).rejects.toThrow("first fault");
  });

  it("hedges later on a client whose reads are slow: alike ones at 1.2 x their median", async () => {
    const client = {};
    const sent: Sent[] = [];
    for (let i = 0; i < 4; i++) {
      const done = hedgedRead(client, manualRead(sent));
      await vi.advanceTimersByTimeAsync(1_900);
      sent[sent.length - 1]?.answer("slow");
      await done;
    }
    const count = sent.length;
    void hedgedRead(client, manualRead(sent));
    await vi.advanceTimersByTimeAsync(2_279);
    expect(sent).toHaveLength(count + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(count + 2);
    for (const read of sent.slice(count)) read.answer("done");
  });

  it("sends no hedge once the caller has cancelled, and fails with the cancel", async () => {
    const sent: Sent[] = [];
    const cancel = new AbortController();
    const done = hedgedRead({}, manualRead(sent), { signal: cancel.signal });
    cancel.abort(new Error("copy cancelled"));
    await expect(done).rejects.toThrow("copy cancelled");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(1);
  });
});
