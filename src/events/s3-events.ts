import { field, MalformedEventError, text } from "./event-fields.js";
import type { ParsedEvents, SkippedEvent, SyncTask } from "./tasks.js";

/**
 * What an event must name to be this worker's: its source bucket. The key's prefix is checked on
 * every task, whatever delivered it (src/worker/task-scope.ts), not here.
 */
export interface EventFilter {
  bucket: string;
}

/**
 * S3 notification records carry keys form-URL-encoded: `+` is a space and `%2B` a plus.
 * (EventBridge events carry the key as it is.)
 */
export function decodeNotificationKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, "%20"));
  } catch {
    throw new MalformedEventError(`S3 notification key "${encoded}" is not valid URL encoding`);
  }
}

function filtered(
  filter: EventFilter,
  bucket: string,
  key: string,
  eventTime?: string,
): SyncTask | SkippedEvent {
  if (bucket !== filter.bucket) return { bucket, key, reason: "other-bucket" };
  return { kind: "object", key, ...(eventTime ? { eventTime } : {}) };
}

function collect(results: (SyncTask | SkippedEvent)[]): ParsedEvents {
  const parsed: ParsedEvents = { tasks: [], skipped: [] };
  for (const result of results) {
    if ("reason" in result) parsed.skipped.push(result);
    else parsed.tasks.push(result);
  }
  return parsed;
}

export function isEventBridgeS3Event(event: unknown): boolean {
  return field(event, ["source"]) === "aws.s3" && typeof field(event, ["detail-type"]) === "string";
}

/** Records whose eventSource ends in ":s3" (AWS writes "aws:s3"; MinIO's webhook "minio:s3"). */
export function isS3Notification(event: unknown): boolean {
  const records = field(event, ["Records"]);
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => String(field(record, ["eventSource"]) ?? "").endsWith(":s3"))
  );
}

export function isS3TestEvent(event: unknown): boolean {
  return field(event, ["Event"]) === "s3:TestEvent";
}

/** S3 sends one when a notification destination is configured: acknowledged, nothing to sync. */
export function parseS3TestEvent(event: unknown): ParsedEvents {
  return {
    tasks: [],
    skipped: [{ bucket: String(field(event, ["Bucket"]) ?? ""), key: "", reason: "test-event" }],
  };
}

const HANDLED_DETAIL_TYPES = new Set(["Object Created", "Object Deleted"]);

export function parseEventBridgeEvent(event: unknown, filter: EventFilter): ParsedEvents {
  const detailType = text(event, ["detail-type"], "EventBridge event");
  const bucket = text(event, ["detail", "bucket", "name"], "EventBridge event");
  const key = text(event, ["detail", "object", "key"], "EventBridge event");
  if (!HANDLED_DETAIL_TYPES.has(detailType)) {
    throw new MalformedEventError(`EventBridge event of type "${detailType}" is not one this handler syncs`);
  }
  const time = field(event, ["time"]);
  return collect([filtered(filter, bucket, key, typeof time === "string" ? time : undefined)]);
}

export function parseS3Notification(event: unknown, filter: EventFilter): ParsedEvents {
  const records = field(event, ["Records"]) as unknown[];
  return collect(
    records.map((record) => {
      const bucket = text(record, ["s3", "bucket", "name"], "S3 notification record");
      const key = decodeNotificationKey(text(record, ["s3", "object", "key"], "S3 notification record"));
      const time = field(record, ["eventTime"]);
      return filtered(filter, bucket, key, typeof time === "string" ? time : undefined);
    }),
  );
}
