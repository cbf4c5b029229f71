import type { Outcome } from "../engine/index.js";
import type { WorkerSettings } from "./worker-settings.js";

/**
 * A task for a key outside the worker's prefix filter: acknowledged and logged, never read,
 * copied or deleted. Task messages, the manual test and watch's HTTP bodies name any key they
 * like, so the scope is checked on the task itself, whatever delivered it.
 */
export interface OutOfScope {
  status: "skipped";
  key: string;
  size: 0;
  reason: "outside-prefix";
}

/** What became of one object task: the engine's outcome, or refused as out of scope. */
export type TaskOutcome = Outcome | OutOfScope;

/** Undefined when `key` is in the worker's scope; the skipped outcome when it is not. */
export function outsideScope(settings: WorkerSettings, key: string): OutOfScope | undefined {
  if (key.startsWith(settings.prefixFilter)) return undefined;
  return { status: "skipped", key, size: 0, reason: "outside-prefix" };
}

/** The prefix a backfill lists: the request's, narrowed to the prefix filter; undefined when they do not overlap. */
export function backfillPrefix(requested: string, filter: string): string | undefined {
  if (requested.startsWith(filter)) return requested;
  if (filter.startsWith(requested)) return filter;
  return undefined;
}
