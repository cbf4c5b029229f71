import { describeError, type Engine, type Outcome } from "../engine/index.js";
import { type ListedPair, listPairs } from "./pair-listings.js";

/** What a sync found to do for one listed pair, before (or instead of, in a dry run) doing it. */
export type PlannedAction =
  | { action: "copy"; sourceKey: string; targetKey: string; size: number }
  | { action: "delete"; targetKey: string };

export interface SyncRequest {
  engine: Engine;
  sourcePrefix: string;
  targetPrefix: string;
  /** Resolves once both buckets are proven reachable: the listings start before, the work after. */
  reachable: Promise<void>;
  /** Remove target objects that have no source object. */
  deleteExtra: boolean;
  /** Only report what would be done: counted as copied and deleted, announced through onPlanned. */
  dryRun: boolean;
  /**
   * Asked before each object and each part starts; false stops the sync starting work: objects in
   * flight finish, multipart copies pause after their parts in flight (the upload stays to resume).
   */
  shouldStart?: () => boolean;
  onOutcome?: (outcome: Outcome) => void;
  /** Called as listing finds work, so progress can show a growing total. */
  onPlanned?: (plan: PlannedAction) => void;
}

export interface SyncSummary {
  copied: number;
  skipped: number;
  deleted: number;
  failed: number;
  bytes: number;
  failures: { key: string; error: string }[];
  /** Copies stopped between parts when asked to: their stored parts wait for the next run. */
  paused: { key: string; size: number; bytes: number }[];
}

export type PairVerdict = "same" | "missing" | "different" | "extra";

/**
 * Compares one listed pair. Equal listing ETags settle it without a request; otherwise a target
 * of the same size may still be a proven copy carrying the source ETag in its marker.
 */
export async function judgePair(engine: Engine, pair: ListedPair): Promise<PairVerdict> {
  if (!pair.source) return "extra";
  if (!pair.target) return "missing";
  if (pair.source.size !== pair.target.size) return "different";
  if (pair.source.etag === pair.target.etag) return "same";
  return (await engine.targetHolds(pair.source, pair.target.key)) ? "same" : "different";
}

/**
 * Runs `work` over an async stream with at most `limit()` in flight (asked again as each item
 * comes: the engine adapts it to the link), without reading ahead further.
 */
export async function forEachBounded<T>(
  items: AsyncIterable<T>,
  limit: () => number,
  work: (item: T) => Promise<void>,
  shouldStart: () => boolean = () => true,
): Promise<void> {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    if (!shouldStart()) break;
    const task = work(item).finally(() => running.delete(task));
    running.add(task);
    while (running.size >= limit()) await Promise.race(running);
  }
  await Promise.all(running);
}

export function emptySyncSummary(): SyncSummary {
  return { copied: 0, skipped: 0, deleted: 0, failed: 0, bytes: 0, failures: [], paused: [] };
}

export function tallyOutcome(summary: SyncSummary, outcome: Outcome): void {
  if (outcome.status === "copied") {
    summary.copied++;
    summary.bytes += outcome.bytes;
  } else if (outcome.status === "skipped") summary.skipped++;
  else if (outcome.status === "deleted") summary.deleted++;
  else if (outcome.status === "paused") {
    summary.bytes += outcome.bytes;
    summary.paused.push({ key: outcome.key, size: outcome.size, bytes: outcome.bytes });
  } else {
    summary.failed++;
    summary.failures.push({ key: outcome.key, error: outcome.error });
  }
}

export async function runSync(request: SyncRequest): Promise<SyncSummary> {
  const { engine } = request;
  const shouldStart = request.shouldStart ?? (() => true);
  const summary = emptySyncSummary();
  const record = (outcome: Outcome) => {
    tallyOutcome(summary, outcome);
    request.onOutcome?.(outcome);
  };
  const pairs = listPairs(
    engine,
    { source: request.sourcePrefix, target: request.targetPrefix },
    request.reachable,
  );
  // As many objects as the engine copies at once: each waits for a slot after its first read.
  await forEachBounded(
    pairs,
    () => engine.objectSlots(),
    async (pair) => {
      const verdict = await judgePair(engine, pair).catch((error: unknown) => {
        const key = pair.source?.key ?? pair.target?.key ?? pair.relativeKey;
        record({ status: "failed", key, error: describeError(error), attempts: 1 });
        return undefined;
      });
      if (verdict === undefined) return;
      if (verdict === "same" && pair.source) {
        record({ status: "skipped", key: pair.source.key, size: pair.source.size, reason: "same-content" });
      } else if (verdict === "extra" && pair.target) {
        if (!request.deleteExtra || !shouldStart()) return;
        request.onPlanned?.({ action: "delete", targetKey: pair.target.key });
        if (request.dryRun) summary.deleted++;
        else record(await engine.remove(pair.target.key));
      } else if (pair.source && shouldStart()) {
        const { key, size } = pair.source;
        const targetKey = request.targetPrefix + pair.relativeKey;
        request.onPlanned?.({ action: "copy", sourceKey: key, targetKey, size });
        if (request.dryRun) summary.copied++;
        else
          record(
            await engine.replicate(
              { sourceKey: key, targetKey, targetKnownStale: true, sourceSize: size },
              { shouldStartPart: shouldStart },
            ),
          );
      }
    },
    shouldStart,
  );
  return summary;
}
