import { describe, expect, it } from "vitest";
import type { Engine, ListedObject } from "../engine/index.js";
import { compareKeys, listPairs, pairListings } from "./pair-listings.js";

async function* listing(keys: string[]): AsyncGenerator<ListedObject> {
  for (const key of [...keys].sort(compareKeys)) yield { key, relativeKey: key, size: 1, etag: "e" };
}

async function collect(source: string[], target: string[]) {
  const pairs: string[] = [];
  for await (const pair of pairListings(listing(source), listing(target))) {
    pairs.push(`${pair.source ? "S" : "-"}${pair.target ? "T" : "-"} ${pair.relativeKey}`);
  }
  return pairs;
}

describe("pairListings", () => {
  it("pairs equal keys and reports one-sided ones", async () => {
    expect(await collect(["a", "b", "d"], ["b", "c", "d", "e"])).toEqual([
      "S- a",
      "ST b",
      "-T c",
      "ST d",
      "-T e",
    ]);
  });

  it("handles empty sides", async () => {
    expect(await collect([], ["x"])).toEqual(["-T x"]);
    expect(await collect(["x"], [])).toEqual(["S- x"]);
    expect(await collect([], [])).toEqual([]);
  });

  it("orders keys by UTF-8 bytes as S3 does", () => {
    // U+FF21 is EF BC A1 in UTF-8 and the emoji F0 9F 98 80, so S3 lists U+FF21 first;
    // UTF-16 puts the emoji's surrogate D83D first.
    expect(compareKeys("\uFF21", "😀")).toBeLessThan(0);
    expect("\uFF21" < "😀").toBe(false);
  });
});

describe("listPairs", () => {
  /** An engine whose listings record when each side was first asked, and may fail. */
  function listingEngine(failing?: "target") {
    const asked: string[] = [];
    const engine = {
      list: async function* (side: "source" | "target") {
        asked.push(side);
        if (side === failing) throw new Error("NoSuchBucket");
        yield* listing([`${side}-key`]);
      },
    } as unknown as Engine;
    return { engine, asked };
  }

  it("asks both sides for their listing before the buckets are proven, and hands out no pair till then", async () => {
    const { engine, asked } = listingEngine();
    let prove: () => void = () => undefined;
    const reachable = new Promise<void>((resolve) => {
      prove = resolve;
    });
    const pairs = listPairs(engine, { source: "", target: "" }, reachable);
    const first = pairs.next();
    let handedOut = false;
    void first.then(() => {
      handedOut = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(asked.sort()).toEqual(["source", "target"]);
    expect(handedOut).toBe(false);
    prove();
    expect((await first).value).toMatchObject({ relativeKey: "source-key" });
    expect((await pairs.next()).value).toMatchObject({ relativeKey: "target-key" });
    expect((await pairs.next()).done).toBe(true);
  });

  it("fails with the proof's error, not the listing's, when a bucket is not reachable", async () => {
    const { engine } = listingEngine("target");
    const pairs = listPairs(
      engine,
      { source: "", target: "" },
      Promise.reject(new Error("target s3://b: bucket does not exist")),
    );
    await expect(pairs.next()).rejects.toThrow("target s3://b: bucket does not exist");
  });
});
