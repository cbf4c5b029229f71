import { afterEach, describe, expect, it, vi } from "vitest";
import { exitCodeFor, listenForStop } from "./stop-signals.js";

describe("listenForStop", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("the first signal asks to stop once; a second one exits at once with 128 + its number", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const asked: string[] = [];
    const stop = listenForStop((signal) => asked.push(signal));
    expect(stop.received).toBeUndefined();
    process.emit("SIGTERM");
    expect(stop.received).toBe("SIGTERM");
    expect(stop.signal.aborted).toBe(true);
    expect(asked).toEqual(["SIGTERM"]);
    expect(exit).not.toHaveBeenCalled();
    process.emit("SIGINT");
    expect(exit).toHaveBeenCalledWith(130);
    expect(stderr).toHaveBeenCalledWith(expect.stringMatching(/^s3xsync: SIGINT again: stopped at once/));
    expect(asked).toEqual(["SIGTERM"]);
    stop.dispose();
  });

  it("says a forced stop the caller's way, and exits with the second signal's code", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const forced: string[] = [];
    const stop = listenForStop(
      () => {},
      (signal) => forced.push(signal),
    );
    process.emit("SIGINT");
    process.emit("SIGTERM");
    expect(forced).toEqual(["SIGTERM"]);
    expect(exit).toHaveBeenCalledWith(143);
    stop.dispose();
  });

  it("dispose removes its handlers", () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    listenForStop(() => {}).dispose();
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
    expect([exitCodeFor("SIGINT"), exitCodeFor("SIGTERM")]).toEqual([130, 143]);
  });
});
