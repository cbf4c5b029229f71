import { isObject, MalformedEventError } from "./event-fields.js";
import {
  type EventFilter,
  isEventBridgeS3Event,
  isS3Notification,
  isS3TestEvent,
  parseEventBridgeEvent,
  parseS3Notification,
  parseS3TestEvent,
} from "./s3-events.js";
import { parseBackfill, parseTask } from "./task-messages.js";
import type { ParsedEvents } from "./tasks.js";

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
  if (isS3TestEvent(parsed)) return parseS3TestEvent(parsed);
  if (isObject(parsed) && "s3xsyncTask" in parsed)
    return { tasks: [parseTask(parsed.s3xsyncTask)], skipped: [] };
  if (isObject(parsed) && "backfill" in parsed)
    return { tasks: [parseBackfill(parsed.backfill)], skipped: [] };
  throw new MalformedEventError("message body is neither an S3 event nor a task of this handler");
}
