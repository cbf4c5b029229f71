import { describeError, type Engine } from "../engine/index.js";
import { listPairs } from "./pair-listings.js";
import { forEachBounded, judgePair } from "./run-sync.js";

export interface VerifySummary {
  inSync: boolean;
  same: number;
  missing: string[];
  different: string[];
  extra: string[];
  /** Keys that could not be compared (after the client's retries), with why. */
  errors: { key: string; error: string }[];
}

/**
 * Compares both sides under their prefixes without writing anything. Keys are source keys, extra
 * ones target keys. The listings start while `reachable` (both buckets proven reachable) is pending.
 */
export async function runVerify(
  engine: Engine,
  prefixes: { source: string; target: string },
  reachable: Promise<void>,
): Promise<VerifySummary> {
  const summary: VerifySummary = { inSync: true, same: 0, missing: [], different: [], extra: [], errors: [] };
  const pairs = listPairs(engine, prefixes, reachable);
  await forEachBounded(
    pairs,
    () => engine.objectSlots(),
    async (pair) => {
      const key = pair.source?.key ?? pair.target?.key ?? pair.relativeKey;
      // One key that cannot be read must not hide the answer for all the others.
      const verdict = await judgePair(engine, pair).catch((error: unknown) => {
        summary.errors.push({ key, error: describeError(error) });
        return undefined;
      });
      if (verdict === "same") summary.same++;
      else if (verdict !== undefined) summary[verdict].push(key);
    },
  );
  for (const list of [summary.missing, summary.different, summary.extra]) list.sort();
  summary.errors.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  summary.inSync =
    summary.missing.length + summary.different.length + summary.extra.length + summary.errors.length === 0;
  return summary;
}
