import { field, MalformedEventError, text } from "./event-fields.js";
import type { BackfillTask, SyncTask } from "./tasks.js";

/** A task message the handler queued for itself (`{"s3xsyncTask": ...}`): continuations, backfill keys and pages. */
export function parseTask(value: unknown): SyncTask {
  const kind = field(value, ["kind"]);
  if (kind === "object") {
    const key = text(value, ["key"], "task message");
    const eventTime = field(value, ["eventTime"]);
    const continuation = field(value, ["continuation"]);
    return {
      kind,
      key,
      ...(typeof eventTime === "string" ? { eventTime } : {}),
      ...(typeof continuation === "number" ? { continuation } : {}),
    };
  }
  if (kind === "backfill") return parseBackfill(value);
  throw new MalformedEventError(`task message of kind "${String(kind)}" is unknown`);
}

export function parseBackfill(value: unknown): BackfillTask {
  const prefix = field(value, ["prefix"]) ?? "";
  const token = field(value, ["continuationToken"]);
  if (typeof prefix !== "string") throw new MalformedEventError(`backfill: "prefix" must be a string`);
  return { kind: "backfill", prefix, ...(typeof token === "string" ? { continuationToken: token } : {}) };
}
