// `s3xsync watch --queue-url` against moto's SQS: the built CLI as a long-running worker on the
// stack's queue, with the batch semantics of the Lambda handler (see handler.spec.ts): exactly the
// failed messages are left for redelivery, and dead-lettered after the queue's maxReceiveCount.
import { CreateBucketCommand, DeleteBucketCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eventBridgeEvent, s3Notification } from "../support/lambda.js";
import { createQueueWithDlq, drainQueue, sqsClientFor } from "../support/moto.js";
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
import { objectLog, startWatch, type WatchProcess } from "../support/watch.js";

const pair = usePartitionPair({ moto: true });
let sqs: SQSClient;

beforeAll(() => {
  sqs = sqsClientFor(pair.moto);
});

afterAll(() => {
  sqs?.destroy();
});

const MAX_RECEIVES = 3;

async function setup() {
  const [sourceBucket, targetBucket] = await Promise.all([
    createBucket(pair.sourceClient, "wsrc"),
    createBucket(pair.targetClient, "wdst"),
  ]);
  // A short visibility timeout so a failed message comes back within seconds.
  const queue = await createQueueWithDlq(pair.moto, `watch-${Date.now()}`, MAX_RECEIVES, {
    VisibilityTimeout: "2",
  });
  const env = { ...pair.moto.env(), ...pair.profiles.env, POWERTOOLS_LOG_LEVEL: "INFO" };
  const args = (...extra: string[]) => [
    `s3://${sourceBucket}/data/`,
    `s3://${targetBucket}`,
    "--queue-url",
    queue.queueUrl,
    ...pair.profiles.args,
    "--retries",
    "0",
    ...extra,
  ];
  const send = (body: unknown) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.queueUrl,
        MessageBody: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  return { sourceBucket, targetBucket, queue, env, args, send };
}

async function expectSame(sourceBucket: string, targetBucket: string, key: string) {
  const [a, b] = await Promise.all([
    getBytes(pair.sourceClient, sourceBucket, key),
    getBytes(pair.targetClient, targetBucket, key),
  ]);
  expect(b.equals(a), key).toBe(true);
}

describe("watch --queue-url", () => {
  let worker: WatchProcess | undefined;
  afterAll(async () => {
    await worker?.stop("SIGKILL");
  });

  it("syncs every event shape, leaves exactly the failed message for redelivery, then dead-letters it", async () => {
    const s = await setup();
    const keys = ["data/good.txt", "data/with space.txt", "data/plus+sign.txt", "data/中文 文件+1%.txt"];
    await Promise.all(keys.map((key) => putObject(pair.sourceClient, s.sourceBucket, key, bytesOf(100))));
    await putObject(pair.sourceClient, s.sourceBucket, "logs/outside.txt", bytesOf(10));
    worker = startWatch(s.args("--concurrency", "4"), s.env);
    await worker.waitFor((line) => line.message === "watch", "start");

    await s.send(eventBridgeEvent(s.sourceBucket, "data/good.txt"));
    await s.send(s3Notification(s.sourceBucket, keys.slice(1)));
    await s.send(eventBridgeEvent(s.sourceBucket, "logs/outside.txt"));
    await s.send("this is not an S3 event");

    for (const key of keys) await worker.waitFor(objectLog(key, "copied"), `${key} copied`);
    // The bad message fails on every delivery, and the queue moves it to the dead-letter queue.
    const dead = await drainUntil(s.queue.dlqUrl, 1);
    expect(dead.map((m) => m.Body)).toEqual(["this is not an S3 event"]);
    const failures = worker.lines.filter((line) => line.message === "message");
    expect(failures.length).toBe(MAX_RECEIVES);
    expect(new Set(failures.map((line) => line.messageId)).size).toBe(1);
    // Everything else was acknowledged (deleted): nothing is left in the queue.
    expect(await drainQueue(pair.moto, s.queue.queueUrl, { waitSeconds: 3 })).toEqual([]);
    expect((await listKeys(pair.targetClient, s.targetBucket)).sort()).toEqual([...keys].sort());
    for (const key of keys) await expectSame(s.sourceBucket, s.targetBucket, key);
    expect(worker.lines.some(objectLog("logs/outside.txt", "skipped:outside-prefix"))).toBe(true);

    const result = await worker.stop("SIGTERM");
    worker = undefined;
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(pair.target.secretAccessKey);
  });

  it("with --delete, never touches a key outside its prefix, whatever message names it", async () => {
    const s = await setup();
    const kept = Buffer.from("the target's own");
    await putObject(pair.targetClient, s.targetBucket, "z/important.txt", kept);
    await putObject(pair.sourceClient, s.sourceBucket, "data/marker.txt", bytesOf(10));
    worker = startWatch(s.args("--delete"), s.env);
    await worker.waitFor((line) => line.message === "watch", "start");

    const refused = objectLog("z/important.txt", "skipped:outside-prefix");
    const current = worker;
    // One message at a time: two for one key in one batch would share one look at it (one line).
    await s.send({ s3xsyncTask: { kind: "object", key: "z/important.txt" } });
    await worker.waitFor(() => current.lines.filter(refused).length === 1, "the task message refused");
    await s.send(eventBridgeEvent(s.sourceBucket, "z/important.txt", "Object Deleted"));
    await worker.waitFor(() => current.lines.filter(refused).length === 2, "the delete event refused");
    await s.send(eventBridgeEvent(s.sourceBucket, "data/marker.txt"));
    await worker.waitFor(objectLog("data/marker.txt", "copied"), "the marker copied");
    // Refused messages are acknowledged: none comes back for another try.
    expect(await drainQueue(pair.moto, s.queue.queueUrl, { waitSeconds: 3 })).toEqual([]);
    expect((await getBytes(pair.targetClient, s.targetBucket, "z/important.txt")).equals(kept)).toBe(true);
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    worker = undefined;
  });

  it("retries a failed object on redelivery and succeeds once the cause is fixed", async () => {
    const s = await setup();
    await putObject(pair.sourceClient, s.sourceBucket, "data/retry.txt", bytesOf(1000));
    worker = startWatch(s.args(), s.env);
    await worker.waitFor((line) => line.message === "watch", "start");
    // The target bucket disappears after the worker started: the copy fails.
    await pair.targetClient.send(new DeleteBucketCommand({ Bucket: s.targetBucket }));
    await s.send(eventBridgeEvent(s.sourceBucket, "data/retry.txt"));
    await worker.waitFor(objectLog("data/retry.txt", "failed"), "the first attempt failing");
    await pair.targetClient.send(new CreateBucketCommand({ Bucket: s.targetBucket }));

    await worker.waitFor(objectLog("data/retry.txt", "copied"), "the redelivery succeeding");
    await expectSame(s.sourceBucket, s.targetBucket, "data/retry.txt");
    expect(await drainQueue(pair.moto, s.queue.dlqUrl, { waitSeconds: 0 })).toEqual([]);
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    worker = undefined;
  });

  it("on SIGTERM pauses a multipart copy at a part boundary, queues its continuation and exits 0", async () => {
    const s = await setup();
    const body = bytesOf(120 * MiB);
    const etag = await putMultipart(pair.sourceClient, s.sourceBucket, "data/big.bin", body, 5 * MiB);
    worker = startWatch(s.args("--concurrency", "1"), s.env);
    await worker.waitFor((line) => line.message === "watch", "start");
    await s.send(eventBridgeEvent(s.sourceBucket, "data/big.bin"));
    // Stop the worker once the copy has begun on the target.
    for (;;) {
      const uploads = await pair.targetClient.send(
        new ListMultipartUploadsCommand({ Bucket: s.targetBucket }),
      );
      if ((uploads.Uploads ?? []).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const first = await worker.stop("SIGTERM");
    worker = undefined;
    expect(first.code).toBe(0);
    const outcomes = `${first.stdout}\n${first.stderr}`
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((line) => line.message === "object" && line.key === "data/big.bin");
    expect(outcomes.map((line) => line.outcome)).toEqual(["paused"]);
    const sentBefore = Number(outcomes[0].bytes);
    expect(sentBefore).toBeLessThan(body.length);

    // A new worker takes the continuation from the queue and sends only what was left.
    worker = startWatch(s.args(), s.env);
    const done = await worker.waitFor(objectLog("data/big.bin", "copied"), "the continuation finishing");
    expect(sentBefore + Number(done.bytes)).toBe(body.length);
    expect(unquote((await head(pair.targetClient, s.targetBucket, "data/big.bin")).ETag)).toBe(etag);
    expect(await incompleteUploads(pair.targetClient, s.targetBucket)).toEqual([]);
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    worker = undefined;
  });

  it("names a bad option in one line and exits 2", async () => {
    const both = await runCli([
      "watch",
      "s3://a-bucket",
      "s3://b-bucket",
      "--queue-url",
      "x",
      "--listen",
      "h:1",
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe(
      "s3xsync: watch needs one event source: --queue-url URL or --listen HOST:PORT",
    );
    const s = await setup();
    const [, , , queueUrl, ...rest] = s.args();
    const missing = await runCli(["watch", ...s.args().slice(0, 3), `${queueUrl}-nope`, ...rest], s.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^s3xsync: queue http:\/\/127\.0\.0\.1:\d+\/\S+-nope: .+\n$/);
  });
});

/** Receives (and deletes) messages from the queue until `count` arrived. */
async function drainUntil(queueUrl: string, count: number) {
  const got = [];
  while (got.length < count) got.push(...(await drainQueue(pair.moto, queueUrl, { waitSeconds: 2 })));
  return got;
}
