import { describe, expect, it } from "vitest";
import { MalformedEventError } from "./event-fields.js";
import { classifyEvent, parseMessageBody } from "./parse-events.js";
import { decodeNotificationKey } from "./s3-events.js";

const filter = { bucket: "src-bucket" };

const eventBridge = (key: string, bucket = "src-bucket", detailType = "Object Created") => ({
  version: "0",
  "detail-type": detailType,
  source: "aws.s3",
  time: "2026-11-26T01:00:00Z",
  detail: { bucket: { name: bucket }, object: { key, size: 5 } },
});

const notification = (key: string, bucket = "src-bucket") => ({
  Records: [
    {
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      eventTime: "2026-11-26T01:00:00.000Z",
      s3: { bucket: { name: bucket }, object: { key } },
    },
  ],
});

describe("decodeNotificationKey", () => {
  it("decodes form encoding: + is a space, %2B a plus", () => {
    expect(decodeNotificationKey("data/red+flower.jpg")).toBe("data/red flower.jpg");
    expect(decodeNotificationKey("data/c%2B%2B.txt")).toBe("data/c++.txt");
    expect(decodeNotificationKey("data/100%25+%3D+%26")).toBe("data/100% = &");
    expect(decodeNotificationKey("data/%E4%B8%AD%E6%96%87")).toBe("data/中文");
  });

  it("rejects broken escapes", () => {
    expect(() => decodeNotificationKey("data/%E4%B8")).toThrow(MalformedEventError);
  });
});

describe("parseMessageBody", () => {
  it("takes EventBridge keys as they are", () => {
    const parsed = parseMessageBody(JSON.stringify(eventBridge("data/a+b 中文%.txt")), filter);
    expect(parsed.tasks).toEqual([
      { kind: "object", key: "data/a+b 中文%.txt", eventTime: "2026-11-26T01:00:00Z" },
    ]);
  });

  it("decodes S3 notification keys", () => {
    const parsed = parseMessageBody(JSON.stringify(notification("data/a%2Bb+%E4%B8%AD%25.txt")), filter);
    expect(parsed.tasks).toEqual([
      { kind: "object", key: "data/a+b 中%.txt", eventTime: "2026-11-26T01:00:00.000Z" },
    ]);
  });

  it("treats deletions as a look at the key, like creations", () => {
    const parsed = parseMessageBody(
      JSON.stringify(eventBridge("data/x", "src-bucket", "Object Deleted")),
      filter,
    );
    expect(parsed.tasks).toMatchObject([{ kind: "object", key: "data/x" }]);
  });

  it("skips other buckets; the prefix is the task's to check, as for every other task", () => {
    expect(parseMessageBody(JSON.stringify(eventBridge("data/x", "other")), filter).skipped).toEqual([
      { bucket: "other", key: "data/x", reason: "other-bucket" },
    ]);
    expect(parseMessageBody(JSON.stringify(notification("logs/x")), filter).tasks).toMatchObject([
      { kind: "object", key: "logs/x" },
    ]);
  });

  it("acknowledges S3's test event", () => {
    const parsed = parseMessageBody(
      JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "b" }),
      filter,
    );
    expect(parsed).toEqual({ tasks: [], skipped: [{ bucket: "b", key: "", reason: "test-event" }] });
  });

  it("reads the handler's own task and backfill messages", () => {
    const task = { kind: "object", key: "data/k", continuation: 2 };
    expect(parseMessageBody(JSON.stringify({ s3xsyncTask: task }), filter).tasks).toEqual([task]);
    expect(parseMessageBody(JSON.stringify({ backfill: { prefix: "data/" } }), filter).tasks).toEqual([
      { kind: "backfill", prefix: "data/" },
    ]);
  });

  it("names what is wrong with a malformed message", () => {
    expect(() => parseMessageBody("not json", filter)).toThrow(/not JSON/);
    expect(() => parseMessageBody("{}", filter)).toThrow(/neither an S3 event/);
    expect(() =>
      parseMessageBody(JSON.stringify({ source: "aws.s3", "detail-type": "Object Created" }), filter),
    ).toThrow(/detail.bucket.name/);
    expect(() =>
      parseMessageBody(
        JSON.stringify(eventBridge("data/x", "src-bucket", "Object Restore Completed")),
        filter,
      ),
    ).toThrow(/not one this handler syncs/);
  });
});

describe("classifyEvent", () => {
  it("tells every accepted input shape apart", () => {
    const shapeOf = (event: unknown) => classifyEvent(event, filter).shape;
    const sqs = { Records: [{ eventSource: "aws:sqs", messageId: "m1", body: "{}" }] };
    expect(classifyEvent(sqs, filter)).toEqual({ shape: "sqs-batch", messages: [{ id: "m1", body: "{}" }] });
    expect(shapeOf(eventBridge("data/x"))).toBe("eventbridge");
    expect(shapeOf(notification("data/x"))).toBe("s3-notification");
    expect(shapeOf({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "b" })).toBe("s3-test-event");
    expect(shapeOf({ s3xsyncTask: { kind: "object", key: "data/k" } })).toBe("task-message");
    expect(classifyEvent({ backfill: { prefix: "data/" } }, filter)).toEqual({
      shape: "backfill",
      task: { kind: "backfill", prefix: "data/" },
    });
    expect(classifyEvent({ test_key: "data/k" }, filter)).toEqual({ shape: "test-key", key: "data/k" });
    expect(shapeOf({ test_key: 7 })).toBe("unrecognised");
    expect(shapeOf(null)).toBe("unrecognised");
  });

  it("carries each SQS record's receive count, when it has a usable one", () => {
    const record = (id: string, count?: string) => ({
      eventSource: "aws:sqs",
      messageId: id,
      body: "{}",
      attributes: count === undefined ? {} : { ApproximateReceiveCount: count },
    });
    const event = { Records: [record("a", "5"), record("b"), record("c", "soon")] };
    expect(classifyEvent(event, filter)).toEqual({
      shape: "sqs-batch",
      messages: [
        { id: "a", body: "{}", receiveCount: 5 },
        { id: "b", body: "{}" },
        { id: "c", body: "{}" },
      ],
    });
  });

  it("names the field an SQS record lacks", () => {
    expect(() => classifyEvent({ Records: [{ eventSource: "aws:sqs", body: "{}" }] }, filter)).toThrow(
      /SQS record: "messageId" is missing/,
    );
  });
});
