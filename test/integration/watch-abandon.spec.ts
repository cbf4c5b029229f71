// `watch --queue-url` never hangs on a wedged task (issue 12): a message is kept invisible only
// while its task moves bytes; one that moves nothing for two stall timeouts is abandoned (left in
// the queue, so it comes back and is finally dead-lettered), and SIGTERM ends the worker within a
// bound even when a task is wedged. The source's link stalls every answer for good.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventBridgeEvent } from "../support/lambda.js";
import { type LinkModel, type LinkProfile, startLinkModel } from "../support/link-model.js";
import { createQueueWithDlq, drainQueue, sqsClientFor } from "../support/moto.js";
import { usePartitionPair } from "../support/partition-pair.js";
import { bytesOf, createBucket, getBytes, putObject } from "../support/s3-fixtures.js";
import { objectLog, startWatch, type WatchProcess } from "../support/watch.js";

const pair = usePartitionPair({ moto: true });
let sqs: SQSClient;
let worker: WatchProcess | undefined;
let link: LinkModel | undefined;

beforeAll(() => {
  sqs = sqsClientFor(pair.moto);
});
afterEach(async () => {
  await worker?.stop("SIGKILL");
  worker = undefined;
  await link?.close();
  link = undefined;
});
afterAll(() => {
  sqs?.destroy();
});

/** Every answer of the source stops before its last byte, the connection left open. */
const WEDGED: LinkProfile = { down: { stalls: { perBurst: 1, durationMs: "forever" } } };

async function setup(label: string, maxReceiveCount: number, stallTimeout: number) {
  const [sourceBucket, targetBucket] = await Promise.all([
    createBucket(pair.sourceClient, `${label}-src`),
    createBucket(pair.targetClient, `${label}-dst`),
  ]);
  // Well above two stall timeouts, so only the worker's own decisions make a message visible again.
  const queue = await createQueueWithDlq(pair.moto, `${label}-${Date.now()}`, maxReceiveCount, {
    VisibilityTimeout: "60",
  });
  link = await startLinkModel({ upstream: pair.source.endpoint });
  const env = { ...pair.moto.env(), ...pair.profiles.env, POWERTOOLS_LOG_LEVEL: "INFO" };
  worker = startWatch(
    [
      `s3://${sourceBucket}`,
      `s3://${targetBucket}`,
      "--queue-url",
      queue.queueUrl,
      ...pair.profiles.args,
      "--source-endpoint",
      link.endpoint,
      "--stall-timeout",
      String(stallTimeout),
    ],
    env,
  );
  await worker.waitFor((line) => line.message === "watch", "start");
  const send = async (key: string) => {
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.queueUrl,
        MessageBody: JSON.stringify(eventBridgeEvent(sourceBucket, key)),
      }),
    );
    return out.MessageId as string;
  };
  return { sourceBucket, targetBucket, queue, send, worker, link };
}

describe("watch --queue-url with a wedged task", () => {
  it("abandons a message whose task moves nothing for two stall timeouts: it comes back, is dead-lettered, and the worker goes on", async () => {
    const s = await setup("wedge", 2, 1);
    await putObject(pair.sourceClient, s.sourceBucket, "wedged.bin", bytesOf(1024 * 1024));
    s.link.setProfile(WEDGED);
    const messageId = await s.send("wedged.bin");

    // Received twice (maxReceiveCount 2), abandoned each time, never deleted: the third receive
    // moves it to the dead-letter queue.
    const abandoned = (line: { message?: string; messageId?: unknown }) =>
      line.message === "abandoned" && line.messageId === messageId;
    await s.worker.waitFor(abandoned, "the first abandonment", 20_000);
    await s.worker.waitFor(
      (line) => abandoned(line) && s.worker.lines.filter(abandoned).length >= 2,
      "the redelivered message abandoned again",
      20_000,
    );
    expect(s.worker.lines.find(abandoned)?.reason).toBe("no bytes moved for 2 s");
    const dead = await drainUntil(s.queue.dlqUrl, 1);
    expect(dead.map((m) => m.MessageId)).toEqual([messageId]);
    expect(s.link.stats().stalls).toBeGreaterThan(0);

    // The worker is still there: once the link heals, the next event is copied.
    s.link.setProfile({});
    await putObject(pair.sourceClient, s.sourceBucket, "after.txt", bytesOf(1000));
    await s.send("after.txt");
    await s.worker.waitFor(objectLog("after.txt", "copied"), "the next event copied", 30_000);
    expect((await getBytes(pair.targetClient, s.targetBucket, "after.txt")).length).toBe(1000);
    expect(s.worker.lines.some(objectLog("wedged.bin", "copied"))).toBe(false);

    const result = await s.worker.stop("SIGTERM");
    worker = undefined;
    expect(result.code).toBe(0);
  });

  it("exits on one SIGTERM within the grace period plus a few seconds, leaving the wedged message in the queue", async () => {
    const stallTimeout = 3;
    const s = await setup("sigterm", 5, stallTimeout);
    await putObject(pair.sourceClient, s.sourceBucket, "wedged.bin", bytesOf(1024 * 1024));
    s.link.setProfile(WEDGED);
    const messageId = await s.send("wedged.bin");
    // The task is under way once the source's answer to it stalled.
    while (s.link.stats().stalls === 0) await new Promise((resolve) => setTimeout(resolve, 50));

    const started = Date.now();
    const result = await s.worker.stop("SIGTERM");
    worker = undefined;
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(0);
    // Grace (the stall timeout here), then at most 5 s for abandoned work, plus the process's start-up slack.
    expect(seconds).toBeLessThan(stallTimeout + 5 + 5);
    expect(result.stdout + result.stderr).toMatch(/"message":"abandoned".*still running 3 s after the stop/);
    // Abandoned, not deleted: the message is visible again at once.
    const back = await drainQueue(pair.moto, s.queue.queueUrl, { waitSeconds: 2 });
    expect(back.map((m) => m.MessageId)).toEqual([messageId]);
  });
});

/** Receives (and deletes) messages from the queue until `count` arrived. */
async function drainUntil(queueUrl: string, count: number) {
  const got = [];
  while (got.length < count) got.push(...(await drainQueue(pair.moto, queueUrl, { waitSeconds: 2 })));
  return got;
}
