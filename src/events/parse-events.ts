import type { ParsedEvents, SkippedEvent, SyncTask } from "./tasks.js";

/** An event the handler cannot read: it fails the message (and so reaches the dead-letter queue). */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

export interface EventFilter {
  bucket: string;
  prefix: string;
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

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function field(value: unknown, path: string[]): unknown {
  let current = value;
  for (const name of path) current = isObject(current) ? current[name] : undefined;
  return current;
}

function text(value: unknown, path: string[], what: string): string {
  const found = field(value, path);
  if (typeof found !== "string") throw new MalformedEventError(`${what}: "${path.join(".")}" is missing`);
  return found;
}

function filtered(
  filter: EventFilter,
  bucket: string,
  key: string,
  eventTime?: string,
): SyncTask | SkippedEvent {
  if (bucket !== filter.bucket) return { bucket, key, reason: "other-bucket" };
  if (!key.startsWith(filter.prefix)) return { bucket, key, reason: "outside-prefix" };
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

function isS3TestEvent(event: unknown): boolean {
  return field(event, ["Event"]) === "s3:TestEvent";
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

function parseTask(value: unknown): SyncTask {
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

export function parseBackfill(value: unknown): Extract<SyncTask, { kind: "backfill" }> {
  const prefix = field(value, ["prefix"]) ?? "";
  const token = field(value, ["continuationToken"]);
  if (typeof prefix !== "string") throw new MalformedEventError(`backfill: "prefix" must be a string`);
  return { kind: "backfill", prefix, ...(typeof token === "string" ? { continuationToken: token } : {}) };
}

/**
 * Reads one SQS message body: an EventBridge S3 event, S3 notification records, the handler's own
 * task message, or a backfill request.
 */
export function parseMessageBody(body: string, filter: EventFilter): ParsedEvents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedEventError("message body is not JSON");
  }
  if (isEventBridgeS3Event(parsed)) return parseEventBridgeEvent(parsed, filter);
  if (isS3Notification(parsed)) return parseS3Notification(parsed, filter);
  if (isS3TestEvent(parsed)) {
    return {
      tasks: [],
      skipped: [{ bucket: String(field(parsed, ["Bucket"]) ?? ""), key: "", reason: "test-event" }],
    };
  }
  if (isObject(parsed) && "s3xsyncTask" in parsed)
    return { tasks: [parseTask(parsed.s3xsyncTask)], skipped: [] };
  if (isObject(parsed) && "backfill" in parsed)
    return { tasks: [parseBackfill(parsed.backfill)], skipped: [] };
  throw new MalformedEventError("message body is neither an S3 event nor a task of this handler");
}
