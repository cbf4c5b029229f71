import { UsageError } from "../user-facing/errors.js";

/**
 * The one reading of a whole-number flag: decimal digits only. `Number()` alone takes `0x8`,
 * `1e1`, ` 8`, `+8` and `8.0` for numbers, so a typo would run with a value nobody wrote.
 */
export function parseIntegerFlag(text: string, flag: string, min: number, max: number): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(
      `${flag} "${text}" must be a whole number from ${min} to ${max} (decimal digits only)`,
    );
  }
  return value;
}
