import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { combinedCrc32 } from "./crc32-combine.js";

function base64(crc: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc >>> 0);
  return bytes.toString("base64");
}

function partsOf(whole: Buffer, cuts: number[]) {
  const bounds = [0, ...cuts, whole.length];
  return bounds.slice(1).map((end, i) => {
    const bytes = whole.subarray(bounds[i], end);
    return { crc32: base64(crc32(bytes)), size: bytes.length };
  });
}

describe("combinedCrc32", () => {
  it("equals the CRC32 of the whole, however the bytes are cut", () => {
    const whole = randomBytes(100_003);
    const expected = base64(crc32(whole));
    for (const cuts of [[], [1], [50_000], [1, 2, 3], [4096, 8192, 99_999], [0, 0, 100_003]]) {
      expect(combinedCrc32(partsOf(whole, cuts))).toBe(expected);
    }
  });

  it("is the CRC32 of nothing for no parts, and of a part alone for one", () => {
    expect(combinedCrc32([])).toBe(base64(crc32(Buffer.alloc(0))));
    expect(combinedCrc32([{ crc32: "HeDARA==", size: 1000 }])).toBe("HeDARA==");
  });

  it("carries lengths past 2^32 (parts up to 5 GiB) as one step or two", () => {
    // Combining with a CRC32 of 0 carries a CRC through that many zero bytes, so two carries of
    // L1 and L2 must equal one of L1 + L2; a length cut to 32 bits would break it.
    const start = { crc32: "HeDARA==", size: 7 };
    const l1 = 2 ** 32 + 5;
    const l2 = 3 * 2 ** 31 + 11;
    const twoSteps = combinedCrc32([
      // The first part's size carries nothing: no bytes come before it.
      { crc32: combinedCrc32([start, { crc32: "AAAAAA==", size: l1 }]), size: 1 },
      { crc32: "AAAAAA==", size: l2 },
    ]);
    expect(combinedCrc32([start, { crc32: "AAAAAA==", size: l1 + l2 }])).toBe(twoSteps);
    expect(combinedCrc32([start, { crc32: "AAAAAA==", size: (l1 + l2) % 2 ** 32 }])).not.toBe(twoSteps);
  });
});
