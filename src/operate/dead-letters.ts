import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../engine/index.js";
import { parseMessageBody } from "../events/parse-events.js";
import { awsFailure, type QueueRef } from "./pipeline.js";

/** One message in the dead-letter queue, read without consuming it. */
export interface DeadLetter {
  messageId: string;
  /** When the message was first sent to the work queue (UTC, ISO 8601). */
  sentAt?: string;
  /** Receives so far, the status peeks included. */
  receiveCount: number;
  /** The object keys the message names. */
  keys: string[];
  /** The prefix, when the message is a backfill page. */
  backfill?: string;
  /** Why the body could not be read; the failures of readable ones are in the function's log. */
  error?: string;
}

/** How many dead letters `status` shows: one screen. */
export const DEAD_LETTERS_SHOWN = 10;
/** Receives per peek: each returns up to 10 messages, of a sample of the queue's servers. */
const PEEK_RECEIVES = 3;

/** Any bucket: the stack's source bucket is not known here, and every key in the body is shown. */
const ANY_BUCKET = { bucket: "", prefix: "" };

function readDeadLetter(message: Message): DeadLetter {
  const attributes = message.Attributes ?? {};
  const sent = Number(attributes.SentTimestamp);
  const letter: DeadLetter = {
    messageId: message.MessageId ?? "",
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 0),
    keys: [],
  };
  try {
    const parsed = parseMessageBody(message.Body ?? "", ANY_BUCKET);
    for (const task of parsed.tasks) {
      if (task.kind === "object") letter.keys.push(task.key);
      else letter.backfill = task.prefix;
    }
    letter.keys.push(...parsed.skipped.map((skipped) => skipped.key));
  } catch (error) {
    letter.error = describeError(error);
  }
  return letter;
}

/**
 * Up to `limit` dead letters, newest first. VisibilityTimeout 0 leaves each message visible, so
 * a redrive or another reader is not held up; the receive still counts in its
 * ApproximateReceiveCount (the dead-letter queue has no redrive policy of its own, so the count
 * moves nothing).
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  deadLetterQueue: QueueRef,
  limit = DEAD_LETTERS_SHOWN,
): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  for (let receive = 0; receive < PEEK_RECEIVES && seen.size < limit; receive++) {
    const out = await sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueue.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
        }),
      )
      .catch((error: unknown) => {
        throw awsFailure(`dead-letter queue ${deadLetterQueue.url} (sqs:ReceiveMessage)`, error);
      });
    const fresh = (out.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ""));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId ?? "", readDeadLetter(message));
  }
  return [...seen.values()].sort((a, b) => (b.sentAt ?? "").localeCompare(a.sentAt ?? "")).slice(0, limit);
}
