import { describe, expect, it } from "vitest";
import { FurthestProgress } from "./furthest-progress.js";

describe("FurthestProgress", () => {
  it("reports a hedge's bytes only past the furthest run, and a retry's only past the failed attempt", () => {
    const reported: number[] = [];
    const progress = new FurthestProgress((bytes) => reported.push(bytes));
    const first = progress.run();
    first(100);
    const hedge = progress.run();
    hedge(60);
    first(50);
    hedge(120);
    expect(reported).toEqual([100, 50, 30]);
    const retry = progress.run();
    retry(150);
    retry(100);
    expect(reported.reduce((a, b) => a + b)).toBe(250);
  });
});
