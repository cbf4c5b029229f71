// The built Lambda bundle, driven end to end: two MinIO servers for S3 (China source, Global
// target) and moto for Secrets Manager, SQS and SNS, reached through the SDK's standard endpoint
// variables, exactly as the function would reach AWS.
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { describe, expect, it, vi } from "vitest";
import {
  clockAllowing,
  coldStart,
  eventBridgeEvent,
  failedIds,
  s3Notification,
  sqsEvent,
  sqsEventFromMessages,
} from "../support/lambda.js";
import {
  createQueueWithDlq,
  drainQueue,
  parseSnsEnvelope,
  putSecret,
  snsClientFor,
  sqsClientFor,
  subscribeQueueToTopic,
} from "../support/moto.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  getBytes,
  head,
  incompleteUploads,
  listKeys,
  MiB,
  putMultipart,
  putObject,
  unquote,
} from "../support/s3-fixtures.js";

const pair = usePartitionPair({ moto: true });

const SPECIAL_KEYS = ["data/with space.txt", "data/plus+sign.txt", "data/100%.txt", "data/中文 文件+1%.txt"];

interface Setup {
  sourceBucket: string;
  targetBucket: string;
  secretName: string;
  env: Record<string, string>;
}

let setupCount = 0;

/** Fresh buckets and secret, and the function's environment for them. */
async function setup(overrides: Record<string, string> = {}): Promise<Setup> {
  setupCount++;
  const [sourceBucket, targetBucket] = await Promise.all([
    createBucket(pair.sourceClient, "hsrc"),
    createBucket(pair.targetClient, "hdst"),
  ]);
  const secretName = `target-keys-${setupCount}`;
  await putSecret(pair.moto, secretName, {
    AccessKeyId: pair.target.accessKeyId,
    SecretAccessKey: pair.target.secretAccessKey,
  });
  const env = {
    ...pair.moto.env(),
    // The function's own role reads the source: the default chain, here the source's keys.
    AWS_ACCESS_KEY_ID: pair.source.accessKeyId,
    AWS_SECRET_ACCESS_KEY: pair.source.secretAccessKey,
    SOURCE_REGION: pair.source.region,
    TARGET_REGION: pair.target.region,
    SOURCE_BUCKET: sourceBucket,
    TARGET_BUCKET: targetBucket,
    SOURCE_ENDPOINT: pair.source.endpoint,
    TARGET_ENDPOINT: pair.target.endpoint,
    SECRETS_MANAGER_SECRET_NAME: secretName,
    S3_PREFIX_FILTER: "data/",
    RETRY_ATTEMPTS: "2",
    POWERTOOLS_METRICS_DISABLED: "false",
    ...overrides,
  };
  return { sourceBucket, targetBucket, secretName, env };
}

/** Collects the handler's JSON lines (logs and embedded metrics; errors go to stderr) until stopped. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const text of String(chunk).split("\n")) {
        if (text.startsWith("{")) lines.push(JSON.parse(text) as Record<string, unknown>);
      }
      return true;
    }),
  );
  return {
    stop() {
      for (const spy of spies) spy.mockRestore();
      return lines;
    },
  };
}

/** Collects the handler's per-object log lines until stopped. */
function captureObjectLogs() {
  const logs = captureLogs();
  return { stop: () => logs.stop().filter((line) => line.message === "object") };
}

async function expectSameObject(s: Setup, key: string): Promise<void> {
  const [a, b] = await Promise.all([
    getBytes(pair.sourceClient, s.sourceBucket, key),
    getBytes(pair.targetClient, s.targetBucket, key),
  ]);
  expect(b.equals(a), key).toBe(true);
}

describe("event shapes", () => {
  it("copies keys with space, +, % and Chinese from every event shape", async () => {
    const s = await setup();
    const handler = coldStart(s.env);
    const keysFor = (shape: string) => SPECIAL_KEYS.map((key) => key.replace("data/", `data/${shape}/`));
    const all = ["sqs-eb", "sqs-s3", "direct-eb", "direct-s3"].flatMap(keysFor);
    await Promise.all(all.map((key) => putObject(pair.sourceClient, s.sourceBucket, key, bytesOf(100))));

    const batch = sqsEvent([
      ...keysFor("sqs-eb").map((key) => JSON.stringify(eventBridgeEvent(s.sourceBucket, key))),
      JSON.stringify(s3Notification(s.sourceBucket, keysFor("sqs-s3"))),
    ]);
    expect(failedIds(await handler(batch))).toEqual([]);
    for (const key of keysFor("direct-eb")) await handler(eventBridgeEvent(s.sourceBucket, key));
    await handler(s3Notification(s.sourceBucket, keysFor("direct-s3")));

    expect((await listKeys(pair.targetClient, s.targetBucket)).sort()).toEqual([...all].sort());
    for (const key of all) await expectSameObject(s, key);
  });

  it("acknowledges events for other buckets and outside the prefix without copying", async () => {
    const s = await setup();
    await putObject(pair.sourceClient, s.sourceBucket, "logs/outside.txt", bytesOf(10));
    const handler = coldStart(s.env);
    const batch = sqsEvent([
      JSON.stringify(eventBridgeEvent(s.sourceBucket, "logs/outside.txt")),
      JSON.stringify(eventBridgeEvent("another-bucket", "data/x.txt")),
    ]);
    expect(failedIds(await handler(batch))).toEqual([]);
    expect(await listKeys(pair.targetClient, s.targetBucket)).toEqual([]);
  });
});

/**
 * A function scoped to w/ with deletes on. On the target, z/important.txt has no source object
 * (a sync would delete it) and z/changed.txt differs from the source's (a sync would overwrite it).
 */
async function scopedSetup() {
  const queue = await createQueueWithDlq(pair.moto, `scope-${Date.now()}`, 3);
  const s = await setup({
    S3_PREFIX_FILTER: "w/",
    SYNC_DELETES: "true",
    QUEUE_URL: queue.queueUrl,
  });
  const kept = new Map([
    ["z/important.txt", Buffer.from("the target's own")],
    ["z/changed.txt", Buffer.from("the target's version")],
  ]);
  for (const [key, body] of kept) await putObject(pair.targetClient, s.targetBucket, key, body);
  await putObject(pair.sourceClient, s.sourceBucket, "z/changed.txt", Buffer.from("the source's version"));
  return { s, queue, kept };
}

async function expectKept(s: Setup, kept: Map<string, Buffer>): Promise<void> {
  for (const [key, body] of kept) {
    expect((await getBytes(pair.targetClient, s.targetBucket, key)).equals(body), key).toBe(true);
  }
}

describe("scope", () => {
  it("never reads, copies or deletes a key outside S3_PREFIX_FILTER, whatever names it", async () => {
    const { s, queue, kept } = await scopedSetup();
    await putObject(pair.sourceClient, s.sourceBucket, "w/in.txt", bytesOf(10));
    const outside = [...kept.keys()];
    const handler = coldStart(s.env);
    const task = (key: string) => JSON.stringify({ s3xsyncTask: { kind: "object", key } });
    const batch = sqsEvent([
      ...outside.map((key) => JSON.stringify(eventBridgeEvent(s.sourceBucket, key, "Object Deleted"))),
      JSON.stringify(s3Notification(s.sourceBucket, outside, "ObjectRemoved:Delete")),
      ...outside.map(task),
      JSON.stringify({ s3xsyncTask: { kind: "backfill", prefix: "z/" } }),
      JSON.stringify(eventBridgeEvent(s.sourceBucket, "w/in.txt")),
    ]);
    expect(failedIds(await handler(batch))).toEqual([]);
    await expectKept(s, kept);
    for (const key of outside) {
      await handler(eventBridgeEvent(s.sourceBucket, key, "Object Deleted"));
      expect(await handler({ test_key: key })).toMatchObject({
        statusCode: 500,
        body: { results: { success: [], failed: [key] } },
      });
    }
    await handler(s3Notification(s.sourceBucket, outside, "ObjectRemoved:Delete"));
    expect(await handler({ backfill: { prefix: "z/" } })).toMatchObject({ body: { queued: 0 } });
    // The handler's own task messages come through its queue only.
    await expect(handler(JSON.parse(task("z/important.txt")))).rejects.toThrow(/unrecognised event/);

    await expectKept(s, kept);
    await expectSameObject(s, "w/in.txt");
    // Nothing was queued for them either: no continuation, no backfill page.
    expect(await drainQueue(pair.moto, queue.queueUrl, { waitSeconds: 1 })).toEqual([]);
  });
});

describe("the manual test", () => {
  it("answers in the original's shape: copied, already in sync, or failed with the reason", async () => {
    const { s, kept } = await scopedSetup();
    await putObject(pair.sourceClient, s.sourceBucket, "w/sample.txt", Buffer.from("hello"));
    await putObject(pair.targetClient, s.targetBucket, "w/gone.txt", Buffer.from("keep me"));
    const handler = coldStart(s.env);
    const answer = (ok: boolean, key: string, message: string) => ({
      statusCode: ok ? 200 : 500,
      body: { message: `${key}: ${message}`, results: { success: ok ? [key] : [], failed: ok ? [] : [key] } },
    });
    expect(await handler({ test_key: "w/sample.txt" })).toEqual(answer(true, "w/sample.txt", "copied"));
    expect(await handler({ test_key: "w/sample.txt" })).toEqual(
      answer(true, "w/sample.txt", "already in sync"),
    );
    await expectSameObject(s, "w/sample.txt");
    // A probe never deletes, even with SYNC_DELETES on: the target keeps its object.
    expect(await handler({ test_key: "w/gone.txt" })).toEqual(
      answer(false, "w/gone.txt", "source object does not exist"),
    );
    expect((await getBytes(pair.targetClient, s.targetBucket, "w/gone.txt")).toString()).toBe("keep me");
    expect(await handler({ test_key: "z/important.txt" })).toEqual(
      answer(false, "z/important.txt", 'outside S3PrefixFilter "w/"'),
    );
    await expectKept(s, kept);
  });

  it("answers a key outside the prefix without a call to S3 or Secrets Manager", async () => {
    // Every endpoint refuses connections and the secret does not exist: any call would fail otherwise.
    const s = await setup({
      S3_PREFIX_FILTER: "w/",
      SOURCE_ENDPOINT: "http://127.0.0.1:9",
      TARGET_ENDPOINT: "http://127.0.0.1:9",
      SECRETS_MANAGER_SECRET_NAME: "no-such-secret",
    });
    const handler = coldStart(s.env);
    expect(await handler({ test_key: "z/x.txt" })).toEqual({
      statusCode: 500,
      body: {
        message: 'z/x.txt: outside S3PrefixFilter "w/"',
        results: { success: [], failed: ["z/x.txt"] },
      },
    });
  });
});

describe("failures", () => {
  it("reports exactly the failing message of a batch", async () => {
    const s = await setup();
    await putObject(pair.sourceClient, s.sourceBucket, "data/good.txt", bytesOf(10));
    const handler = coldStart(s.env);
    const batch = sqsEvent([
      { messageId: "good", body: JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/good.txt")) },
      { messageId: "bad", body: "this is not an S3 event" },
    ]);
    expect(failedIds(await handler(batch))).toEqual(["bad"]);
    await expectSameObject(s, "data/good.txt");
  });

  it("publishes one SNS message with the failure's details when retries are spent", async () => {
    const sns = snsClientFor(pair.moto);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `failures-${Date.now()}` }));
    const inbox = await createQueueWithDlq(pair.moto, `inbox-${Date.now()}`, 5);
    await subscribeQueueToTopic(pair.moto, TopicArn as string, inbox.queueUrl);
    // A target endpoint that refuses connections: a transient error, retried, then given up.
    const s = await setup({
      TARGET_ENDPOINT: "http://127.0.0.1:9",
      ENABLE_SNS_NOTIFICATION: "true",
      SNS_TOPIC_ARN: TopicArn as string,
    });
    await putObject(pair.sourceClient, s.sourceBucket, "data/报告 1+1.txt", bytesOf(10));
    const handler = coldStart(s.env);
    const response = await handler(
      sqsEvent([
        { messageId: "m1", body: JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/报告 1+1.txt")) },
      ]),
    );
    expect(failedIds(response)).toEqual(["m1"]);

    const messages = await drainQueue(pair.moto, inbox.queueUrl, { waitSeconds: 1 });
    expect(messages).toHaveLength(1);
    const envelope = parseSnsEnvelope(messages[0]?.Body);
    expect(envelope.Subject).toMatch(/^[\x20-\x7e]+$/);
    const notice = JSON.parse(envelope.Message);
    expect(notice).toMatchObject({
      event: "replication-failed",
      key: "data/报告 1+1.txt",
      sourceBucket: s.sourceBucket,
      sourceRegion: "cn-north-1",
      targetBucket: s.targetBucket,
      targetRegion: "us-east-1",
      attempts: 2,
    });
    expect(notice.error).toMatch(/unreachable|refused/);
    expect(notice.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(envelope.Message).not.toContain(pair.target.secretAccessKey);
  });

  it("throws on a failed direct invocation so Lambda's own retries apply", async () => {
    const s = await setup({ TARGET_ENDPOINT: "http://127.0.0.1:9" });
    await putObject(pair.sourceClient, s.sourceBucket, "data/x.txt", bytesOf(10));
    const handler = coldStart(s.env);
    await expect(handler(eventBridgeEvent(s.sourceBucket, "data/x.txt"))).rejects.toThrow(/data\/x.txt/);
  });

  it("names a missing environment variable", async () => {
    const s = await setup();
    const { SOURCE_BUCKET: _omitted, ...env } = s.env;
    const handler = coldStart(env);
    await expect(handler({ test_key: "data/x" })).rejects.toThrow(/SOURCE_BUCKET is required/);
  });
});

describe("credentials", () => {
  it("picks up a rotated secret without a restart when the target rejects the cached keys", async () => {
    const s = await setup();
    // The cached keys are the old ones, already revoked on the target.
    await putSecret(pair.moto, s.secretName, {
      AccessKeyId: "revoked-key",
      SecretAccessKey: "revoked-secret-123",
    });
    await putObject(pair.sourceClient, s.sourceBucket, "data/one.txt", bytesOf(10));
    await putObject(pair.sourceClient, s.sourceBucket, "data/two.txt", bytesOf(10));
    const handler = coldStart(s.env);
    const first = await handler(
      sqsEvent([{ messageId: "1", body: JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/one.txt")) }]),
    );
    expect(failedIds(first)).toEqual(["1"]);

    await putSecret(pair.moto, s.secretName, {
      AccessKeyId: pair.target.accessKeyId,
      SecretAccessKey: pair.target.secretAccessKey,
    });
    const second = await handler(
      sqsEvent([{ messageId: "2", body: JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/two.txt")) }]),
    );
    expect(failedIds(second)).toEqual([]);
    await expectSameObject(s, "data/two.txt");
  });
});

describe("level-triggered", () => {
  it("converges to the source's state from shuffled, duplicated and stale events", async () => {
    const s = await setup({ SYNC_DELETES: "true" });
    const keys = Array.from({ length: 12 }, (_, i) => `data/k${i}.txt`);
    await Promise.all(keys.map((key) => putObject(pair.sourceClient, s.sourceBucket, key, bytesOf(50))));
    const handler = coldStart(s.env);
    // Copy everything once, then change the source: overwrite some, delete others.
    await handler(sqsEvent(keys.map((key) => JSON.stringify(eventBridgeEvent(s.sourceBucket, key)))));
    for (const key of keys.slice(0, 4)) await putObject(pair.sourceClient, s.sourceBucket, key, bytesOf(70));
    for (const key of keys.slice(4, 8))
      await pair.sourceClient.send(new DeleteObjectCommand({ Bucket: s.sourceBucket, Key: key }));

    // Every kind of event for every key, twice, in random order: created events for deleted keys,
    // deleted events for keys that exist, and duplicates.
    const events = keys.flatMap((key) => [
      JSON.stringify(eventBridgeEvent(s.sourceBucket, key, "Object Created")),
      JSON.stringify(eventBridgeEvent(s.sourceBucket, key, "Object Deleted")),
      JSON.stringify(s3Notification(s.sourceBucket, [key], "ObjectRemoved:Delete")),
    ]);
    const shuffled = [...events, ...events].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 10) {
      expect(failedIds(await handler(sqsEvent(shuffled.slice(i, i + 10))))).toEqual([]);
    }
    expect((await listKeys(pair.targetClient, s.targetBucket)).sort()).toEqual(
      await listKeys(pair.sourceClient, s.sourceBucket),
    );
    for (const key of [...keys.slice(0, 4), ...keys.slice(8)]) await expectSameObject(s, key);
  });
});

describe("beyond one invocation", () => {
  it("replicates a 200 MiB object across several invocations without sending a stored part twice", async () => {
    const queue = await createQueueWithDlq(pair.moto, `work-${Date.now()}`, 3);
    const s = await setup({ QUEUE_URL: queue.queueUrl });
    const body = bytesOf(200 * MiB);
    const etag = await putMultipart(pair.sourceClient, s.sourceBucket, "data/big.bin", body, 8 * MiB);
    const handler = coldStart(s.env);
    const sqs = sqsClientFor(pair.moto);
    const logs = captureObjectLogs();

    let invocations = 1;
    // Each invocation may start about eight of the 25 parts before its (simulated) deadline.
    let response = await handler(
      sqsEvent([JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/big.bin"))]),
      clockAllowing(8),
    );
    expect(failedIds(response)).toEqual([]);
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) break;
      expect(JSON.parse(Messages[0]?.Body ?? "{}")).toMatchObject({
        s3xsyncTask: { kind: "object", key: "data/big.bin", continuation: invocations },
      });
      response = await handler(sqsEventFromMessages(Messages), clockAllowing(8));
      expect(failedIds(response)).toEqual([]);
      for (const m of Messages) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
      invocations++;
      expect(invocations).toBeLessThan(10);
    }
    expect(invocations).toBeGreaterThanOrEqual(3);
    const lines = logs.stop().filter((line) => line.key === "data/big.bin");
    expect(lines.map((line) => line.outcome)).toEqual([...Array(invocations - 1).fill("paused"), "copied"]);
    // Every byte was sent exactly once over all the invocations: no stored part went twice.
    expect(lines.reduce((sum, line) => sum + Number(line.bytes), 0)).toBe(body.length);
    expect(unquote((await head(pair.targetClient, s.targetBucket, "data/big.bin")).ETag)).toBe(etag);
    expect(await incompleteUploads(pair.targetClient, s.targetBucket)).toEqual([]);
    await expectSameObject(s, "data/big.bin");
  });
});

describe("backfill", () => {
  // moto 5.2 rescans the whole queue for every message it receives or queues, so a page of 1,000
  // tasks takes 20-40 s to queue here, and more than moto's default 30 s visibility under load. The
  // page task was then received again and queued its page twice, which slowed moto further: 4,581
  // messages received for 2,502 and 509 s, with two CPU hogs beside it (measured 2026-12-07). A
  // visibility beyond the slowest invocation, as the template sets, keeps each page queued once:
  // 116 s alone, 199 s beside the hogs.
  it("spreads a backfill of 2,500 keys over queue messages", { timeout: 600_000 }, async () => {
    const queue = await createQueueWithDlq(pair.moto, `backfill-${Date.now()}`, 3, {
      VisibilityTimeout: "900",
    });
    const s = await setup({ QUEUE_URL: queue.queueUrl, S3_PREFIX_FILTER: "", POWERTOOLS_LOG_LEVEL: "WARN" });
    const keys = Array.from({ length: 2500 }, (_, i) => `bf/${String(i).padStart(4, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((key) => putObject(pair.sourceClient, s.sourceBucket, key, Buffer.from(key))),
      );
    }
    const handler = coldStart(s.env);
    const started = await handler({ backfill: { prefix: "" } });
    expect(started).toMatchObject({ statusCode: 200, body: { queued: 1000, nextPage: true } });

    // Four workers share the queue, as concurrent function instances would.
    const sqs = sqsClientFor(pair.moto);
    const failures: string[] = [];
    const worker = async () => {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        if (Messages.length === 0) return;
        failures.push(...failedIds(await handler(sqsEventFromMessages(Messages))));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.queueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(failures).toEqual([]);
    expect(await listKeys(pair.targetClient, s.targetBucket)).toEqual(keys);
  });
});

/** A topic whose messages land in a queue, read back with drainQueue. */
async function observedTopic(name: string) {
  const { TopicArn } = await snsClientFor(pair.moto).send(
    new CreateTopicCommand({ Name: `${name}-${Date.now()}` }),
  );
  const inbox = await createQueueWithDlq(pair.moto, `${name}-inbox-${Date.now()}`, 5);
  await subscribeQueueToTopic(pair.moto, TopicArn as string, inbox.queueUrl);
  const notices = async () =>
    (await drainQueue(pair.moto, inbox.queueUrl, { waitSeconds: 1 })).map(
      (message) => JSON.parse(parseSnsEnvelope(message.Body).Message) as Record<string, unknown>,
    );
  return { topicArn: TopicArn as string, notices };
}

describe("notices", () => {
  it("announces each failing object once, on the last receive before the dead-letter queue", async () => {
    const topic = await observedTopic("per-object");
    // Visible again at once after a failed receive, as after the visibility timeout.
    const work = await createQueueWithDlq(pair.moto, `redelivered-${Date.now()}`, 5, {
      VisibilityTimeout: "0",
    });
    const s = await setup({
      TARGET_ENDPOINT: "http://127.0.0.1:9",
      RETRY_ATTEMPTS: "3",
      MAX_RECEIVE_COUNT: "5",
      ENABLE_SNS_NOTIFICATION: "true",
      SNS_TOPIC_ARN: topic.topicArn,
    });
    const keys = ["data/one.txt", "data/two.txt"];
    for (const key of keys) await putObject(pair.sourceClient, s.sourceBucket, key, bytesOf(10));
    const sqs = sqsClientFor(pair.moto);
    for (const key of keys) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: work.queueUrl,
          MessageBody: JSON.stringify(eventBridgeEvent(s.sourceBucket, key)),
        }),
      );
    }
    const handler = coldStart(s.env);
    let invocations = 0;
    for (; invocations < 20; invocations++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: work.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        }),
      );
      if (Messages.length === 0) break;
      expect(failedIds(await handler(sqsEventFromMessages(Messages))).sort()).toEqual(
        Messages.map((m) => m.MessageId).sort(),
      );
    }
    expect(await drainQueue(pair.moto, work.dlqUrl)).toHaveLength(keys.length);
    expect(invocations).toBeGreaterThanOrEqual(5);

    const notices = await topic.notices();
    expect(notices.map((notice) => notice.key).sort()).toEqual(keys);
    for (const notice of notices) {
      expect(notice).toMatchObject({ event: "replication-failed", attempts: 3, receives: 5 });
    }
  });
});

describe("target keys that cannot be read", () => {
  const cases: [string, (name: string) => Promise<unknown>, RegExp][] = [
    ["missing", async () => undefined, /does not exist/],
    [
      "empty, as the stack creates it",
      (name) => putSecret(pair.moto, name, { AccessKeyId: "", SecretAccessKey: "" }),
      /"AccessKeyId" is missing/,
    ],
    [
      "malformed",
      (name) =>
        putSecret(pair.moto, name, "AccessKeyId=AKIAVISIBLE0000000 SecretAccessKey=visible-secret-value"),
      /not JSON/,
    ],
  ];

  it.each(cases)(
    "%s: one notice, one line and one metric per invocation, the messages kept",
    async (_, make, error) => {
      const topic = await observedTopic("config");
      const s = await setup({ ENABLE_SNS_NOTIFICATION: "true", SNS_TOPIC_ARN: topic.topicArn });
      const secretName = `${s.secretName}-broken`;
      await make(secretName);
      await putObject(pair.sourceClient, s.sourceBucket, "data/waiting.txt", bytesOf(10));
      const handler = coldStart({ ...s.env, SECRETS_MANAGER_SECRET_NAME: secretName });
      const body = JSON.stringify(eventBridgeEvent(s.sourceBucket, "data/waiting.txt"));
      const logs = captureLogs();
      const answers = [
        await handler(
          sqsEvent([
            { messageId: "a", body },
            { messageId: "b", body },
          ]),
        ),
        await handler(sqsEvent([{ messageId: "c", body }])),
      ];
      const lines = logs.stop();

      expect(answers.map(failedIds)).toEqual([["a", "b"], ["c"]]);
      const configuration = lines.filter((line) => line.message === "configuration");
      expect(configuration).toHaveLength(2);
      expect(configuration[0]).toMatchObject({ level: "ERROR", secret: secretName });
      expect(String(configuration[0]?.error)).toMatch(error);
      expect(lines.filter((line) => line.message === "object" || line.message === "message")).toEqual([]);
      const metricLines = lines.filter((line) => "ConfigurationErrors" in line);
      expect(metricLines.map((line) => line.ConfigurationErrors)).toEqual([1, 1]);
      const everything = JSON.stringify(lines);
      for (const value of ["AKIAVISIBLE0000000", "visible-secret-value", pair.target.secretAccessKey])
        expect(everything).not.toContain(value);

      const notices = await topic.notices();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        event: "configuration-error",
        secret: secretName,
        sourceBucket: s.sourceBucket,
      });
      expect(String(notices[0]?.error)).toMatch(error);
      expect(JSON.stringify(notices)).not.toContain("visible-secret-value");
      expect(await listKeys(pair.targetClient, s.targetBucket)).toEqual([]);
    },
  );
});
