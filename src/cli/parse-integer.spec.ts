import { describe, expect, it } from "vitest";
import { UsageError } from "../user-facing/errors.js";
import { parseIntegerFlag } from "./parse-integer.js";

describe("parseIntegerFlag", () => {
  it("reads decimal digits within the range", () => {
    expect(parseIntegerFlag("8", "--concurrency", 1, 256)).toBe(8);
    expect(parseIntegerFlag("0", "--retries", 0, 20)).toBe(0);
    expect(parseIntegerFlag("256", "--concurrency", 1, 256)).toBe(256);
  });

  it("refuses every other spelling of a number, naming the flag and the text", () => {
    for (const text of ["0x8", "1e1", " 8", "8 ", "+8", "8.0", "-1", "", "0b1", "8_0", "٨", "Infinity"]) {
      expect(() => parseIntegerFlag(text, "--concurrency", 1, 256), JSON.stringify(text)).toThrow(
        new UsageError(`--concurrency "${text}" must be a whole number from 1 to 256 (decimal digits only)`),
      );
    }
  });

  it("refuses numbers outside the range", () => {
    expect(() => parseIntegerFlag("0", "--concurrency", 1, 256)).toThrow(UsageError);
    expect(() => parseIntegerFlag("257", "--concurrency", 1, 256)).toThrow(UsageError);
    expect(() => parseIntegerFlag("99999999999999999999", "--retries", 0, 20)).toThrow(UsageError);
  });
});
