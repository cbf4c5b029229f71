import { decimalInRange } from "../user-facing/decimal-integer.js";
import { UsageError } from "../user-facing/errors.js";

/** A whole-number flag, decimal digits only (see decimalInRange). */
export function parseIntegerFlag(text: string, flag: string, min: number, max: number): number {
  const value = decimalInRange(text, min, max);
  if (value === undefined) {
    throw new UsageError(
      `${flag} "${text}" must be a whole number from ${min} to ${max} (decimal digits only)`,
    );
  }
  return value;
}
