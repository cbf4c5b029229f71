import { UsageError } from "../user-facing/errors.js";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `8MiB`, `64MB`, `5242880`: decimal (MB) and binary (MiB) units; bare K/M/G are binary. */
export function parseSize(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const name = (match?.[2] ?? "").toLowerCase();
  // Own keys only: a plain lookup also finds what every object inherits ("constructor").
  const unit = Object.hasOwn(UNITS, name) ? UNITS[name] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(`${what} "${text}" is not a size (examples: 8MiB, 64MB, 5242880)`);
  }
  return Math.round(Number(match[1]) * unit);
}
