import { field, isObject, MalformedEventError, text } from "./event-fields.js";
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
import type { BackfillTask, ParsedEvents, QueuedMessage, SyncTask } from "./tasks.js";

/** Every input shape a driver may be handed, told apart in one place (the README's Events table). */
export type ClassifiedEvent =
  /** Lambda's SQS event: the bodies are parsed one by one, so a bad body fails only its message. */
  | { shape: "sqs-batch"; messages: QueuedMessage[] }
  | { shape: "eventbridge" | "s3-notification" | "s3-test-event"; events: ParsedEvents }
  /** A task the handler queued for itself: a continuation, a backfill key or page. */
  | { shape: "task-message"; task: SyncTask }
  /** `{"backfill": {"prefix": ...}}`: list the source page by page and queue the keys. */
  | { shape: "backfill"; task: BackfillTask }
  /** The original template's manual test, `{"test_key": "path/to/key"}`. */
  | { shape: "test-key"; key: string }
  | { shape: "unrecognised" };

/** The messages of Lambda's SQS event (records all from "aws:sqs"); undefined for any other event. */
function sqsMessages(event: unknown): QueuedMessage[] | undefined {
  const records = field(event, ["Records"]);
  if (!Array.isArray(records) || records.length === 0) return undefined;
  if (!records.every((record) => field(record, ["eventSource"]) === "aws:sqs")) return undefined;
  return records.map((record) => {
    const receiveCount = Number(field(record, ["attributes", "ApproximateReceiveCount"]));
    return {
      id: text(record, ["messageId"], "SQS record"),
      body: text(record, ["body"], "SQS record"),
      ...(Number.isInteger(receiveCount) && receiveCount > 0 ? { receiveCount } : {}),
    };
  });
}

/**
 * Tells which shape `event` is and reads it; S3 events are filtered to the source bucket. A shape
 * recognised but malformed throws MalformedEventError naming the field.
 */
export function classifyEvent(event: unknown, filter: EventFilter): ClassifiedEvent {
  const messages = sqsMessages(event);
  if (messages) return { shape: "sqs-batch", messages };
  if (isS3Notification(event))
    return { shape: "s3-notification", events: parseS3Notification(event, filter) };
  if (isEventBridgeS3Event(event))
    return { shape: "eventbridge", events: parseEventBridgeEvent(event, filter) };
  if (isS3TestEvent(event)) return { shape: "s3-test-event", events: parseS3TestEvent(event) };
  if (isObject(event) && "s3xsyncTask" in event)
    return { shape: "task-message", task: parseTask(event.s3xsyncTask) };
  if (isObject(event) && "backfill" in event)
    return { shape: "backfill", task: parseBackfill(event.backfill) };
  const testKey = field(event, ["test_key"]);
  if (typeof testKey === "string") return { shape: "test-key", key: testKey };
  return { shape: "unrecognised" };
}

/**
 * Reads one queued message body: an EventBridge S3 event, S3 notification records, S3's test
 * event, the handler's own task message, or a backfill request.
 */
export function parseMessageBody(body: string, filter: EventFilter): ParsedEvents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedEventError("message body is not JSON");
  }
  const event = classifyEvent(parsed, filter);
  switch (event.shape) {
    case "eventbridge":
    case "s3-notification":
    case "s3-test-event":
      return event.events;
    case "task-message":
    case "backfill":
      return { tasks: [event.task], skipped: [] };
    default:
      throw new MalformedEventError("message body is neither an S3 event nor a task of this handler");
  }
}
