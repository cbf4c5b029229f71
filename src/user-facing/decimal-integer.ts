/**
 * The one reading of a whole number given by a user (a flag, an environment variable): decimal
 * digits only. `Number()` alone takes `0x8`, `1e1`, ` 8`, `+8` and `8.0` for numbers, so a typo
 * would run with a value nobody wrote. Undefined when the text is not such a number in range.
 */
export function decimalInRange(text: string, min: number, max: number): number | undefined {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  return value >= min && value <= max ? value : undefined;
}
