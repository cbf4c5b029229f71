import type { Engine } from "../engine/index.js";
import { pairListings } from "./pair-listings.js";
import { forEachBounded, judgePair } from "./run-sync.js";

export interface VerifySummary {
  inSync: boolean;
  same: number;
  missing: string[];
  different: string[];
  extra: string[];
}

/** Compares both sides under their prefixes without writing anything. Keys are source keys, extra ones target keys. */
export async function runVerify(
  engine: Engine,
  sourcePrefix: string,
  targetPrefix: string,
  concurrency: number,
): Promise<VerifySummary> {
  const summary: VerifySummary = { inSync: true, same: 0, missing: [], different: [], extra: [] };
  const pairs = pairListings(engine.list("source", sourcePrefix), engine.list("target", targetPrefix));
  await forEachBounded(pairs, concurrency, async (pair) => {
    const verdict = await judgePair(engine, pair);
    if (verdict === "same") summary.same++;
    else if (verdict === "extra") summary.extra.push(pair.target?.key ?? pair.relativeKey);
    else summary[verdict].push(pair.source?.key ?? pair.relativeKey);
  });
  for (const list of [summary.missing, summary.different, summary.extra]) list.sort();
  summary.inSync = summary.missing.length + summary.different.length + summary.extra.length === 0;
  return summary;
}
