import { describe, expect, it } from "vitest";
import type { ListedObject } from "../engine/index.js";
import { compareKeys, pairListings } from "./pair-listings.js";

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
