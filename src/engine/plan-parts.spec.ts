import { describe, expect, it } from "vitest";
import { effectivePartSize, MAX_OBJECT_SIZE, MAX_PARTS, MIN_PART_SIZE, planParts } from "./plan-parts.js";

const MiB = 1024 * 1024;

describe("planParts", () => {
  it("covers the object exactly with contiguous parts", () => {
    const parts = planParts(20 * MiB + 1, 8 * MiB);
    expect(parts.map((p) => p.size)).toEqual([8 * MiB, 8 * MiB, 4 * MiB + 1]);
    expect(parts[0]).toMatchObject({ partNumber: 1, start: 0, end: 8 * MiB - 1 });
    expect(parts[2]).toMatchObject({ partNumber: 3, start: 16 * MiB, end: 20 * MiB });
  });

  it("never plans parts below S3's 5 MiB minimum", () => {
    expect(effectivePartSize(100 * MiB, 1 * MiB)).toBe(MIN_PART_SIZE);
  });

  it("grows the part size so a 5 TiB object needs at most 10,000 parts", () => {
    const size = MAX_OBJECT_SIZE;
    const partSize = effectivePartSize(size, 8 * MiB);
    expect(partSize % MiB).toBe(0);
    expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(MAX_PARTS);
  });

  it("keeps the requested size when the object already fits", () => {
    expect(effectivePartSize(80 * 1024 * MiB, 8 * MiB)).toBe(9 * MiB);
    expect(effectivePartSize(1024 * MiB, 8 * MiB)).toBe(8 * MiB);
  });

  it("rejects objects over 5 TiB", () => {
    expect(() => planParts(MAX_OBJECT_SIZE + 1, 8 * MiB)).toThrow(/5 TiB/);
  });

  it("plans nothing for an empty object", () => {
    expect(planParts(0, 8 * MiB)).toEqual([]);
  });
});
