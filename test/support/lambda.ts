// Loads the built Lambda bundle (dist/lambda/handler.js) fresh for each configuration, as a cold
// start would, and builds the SQS events Lambda's event source mapping would deliver.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { Message } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

export const HANDLER_PATH = resolve(import.meta.dirname, "../../dist/lambda/handler.js");

const require = createRequire(import.meta.url);

export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

export type Handler = (event: unknown, context?: InvocationClock) => Promise<unknown>;

/**
 * Sets the function's environment and loads the bundle as a new module, so configuration read
 * at cold start is read again. Variables from an earlier call that are absent now are removed.
 */
let applied: string[] = [];
export function coldStart(env: Record<string, string>): Handler {
  for (const name of applied) delete process.env[name];
  Object.assign(process.env, env);
  applied = Object.keys(env);
  delete require.cache[HANDLER_PATH];
  return (require(HANDLER_PATH) as { handler: Handler }).handler;
}

/** A message of an SQS event; `receiveCount` is its ApproximateReceiveCount (default 1). */
export interface SqsEventEntry {
  messageId: string;
  body: string;
  receiveCount?: number;
}

/** An SQS event as the event source mapping delivers it. */
export function sqsEvent(bodies: (string | SqsEventEntry)[]): SQSEvent {
  return {
    Records: bodies.map((entry) => {
      const {
        messageId,
        body,
        receiveCount = 1,
      } = typeof entry === "string" ? { messageId: randomUUID(), body: entry } : entry;
      return {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:queue",
        awsRegion: "us-east-1",
      };
    }),
  };
}

/** The SQS event for messages received from a real queue (with their receive count, when received with it). */
export function sqsEventFromMessages(messages: Message[]): SQSEvent {
  return sqsEvent(
    messages.map((m) => ({
      messageId: m.MessageId ?? randomUUID(),
      body: m.Body ?? "",
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
    })),
  );
}

export function failedIds(response: unknown): string[] {
  return (response as SQSBatchResponse).batchItemFailures.map((failure) => failure.itemIdentifier);
}

/** A clock that allows `checks` calls with plenty of time left, then reports the deadline as near. */
export function clockAllowing(checks: number): InvocationClock {
  let calls = 0;
  return {
    getRemainingTimeInMillis() {
      calls++;
      // The first call sizes the reserve (a quarter of 40 s); each later one is a part asking to start.
      return calls <= checks + 1 ? 40_000 : 1_000;
    },
  };
}

export function eventBridgeEvent(bucket: string, key: string, detailType = "Object Created") {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": detailType,
    source: "aws.s3",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "cn-north-1",
    resources: [`arn:aws-cn:s3:::${bucket}`],
    detail: { version: "0", bucket: { name: bucket }, object: { key }, reason: "PutObject" },
  };
}

/** S3 notification records encode keys as form data: spaces become `+`, the rest is percent-encoded. */
export function formEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}

export function s3Notification(bucket: string, keys: string[], eventName = "ObjectCreated:Put") {
  return {
    Records: keys.map((key) => ({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "cn-north-1",
      eventTime: new Date().toISOString(),
      eventName,
      s3: { s3SchemaVersion: "1.0", bucket: { name: bucket }, object: { key: formEncodeKey(key) } },
    })),
  };
}
