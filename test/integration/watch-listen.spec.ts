// `s3xsync watch --listen`: S3 notifications pushed over HTTP are journaled before they are
// answered, so an event accepted by one worker process is done by the next one after a restart.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { s3Notification } from "../support/lambda.js";
import { usePartitionPair } from "../support/partition-pair.js";
import { bytesOf, createBucket, getBytes, putObject } from "../support/s3-fixtures.js";
import { freePort } from "../support/server-process.js";
import { objectLog, startWatch, type WatchProcess } from "../support/watch.js";

const pair = usePartitionPair();
let worker: WatchProcess | undefined;
const dirs: string[] = [];

afterAll(async () => {
  await worker?.stop("SIGKILL");
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The body MinIO's webhook target POSTs: S3 notification records with eventSource "minio:s3". */
function minioEvent(bucket: string, key: string) {
  const event = s3Notification(bucket, [key]);
  for (const record of event.Records) Object.assign(record, { eventSource: "minio:s3" });
  return JSON.stringify({ EventName: "s3:ObjectCreated:Put", Key: `${bucket}/${key}`, ...event });
}

/** Fresh buckets, a journal directory and a free port for one worker. */
async function listenSetup() {
  const [sourceBucket, targetBucket] = await Promise.all([
    createBucket(pair.sourceClient, "lsrc"),
    createBucket(pair.targetClient, "ldst"),
  ]);
  const journal = await mkdtemp(join(tmpdir(), "s3xsync-journal-"));
  dirs.push(journal);
  return { sourceBucket, targetBucket, journal, port: await freePort() };
}

describe("watch --listen", () => {
  it("journals accepted events so a restarted worker still does them", async () => {
    const { sourceBucket, targetBucket, journal, port } = await listenSetup();
    const args = [
      `s3://${sourceBucket}`,
      `s3://${targetBucket}`,
      "--listen",
      `127.0.0.1:${port}`,
      "--journal",
      journal,
      "--retries",
      "0",
      ...pair.profiles.args,
    ];
    const key = "incoming/中文 文件+1%.txt";
    await putObject(pair.sourceClient, sourceBucket, key, bytesOf(2000));

    worker = startWatch(args, pair.profiles.env);
    await worker.waitFor((line) => line.message === "watch", "start");
    const url = `http://127.0.0.1:${port}/minio-events`;
    const rejected = await fetch(url, { method: "POST", body: "not an event" });
    expect(rejected.status).toBe(400);
    await rejected.arrayBuffer();

    // The target bucket is gone: the accepted event fails and waits in the journal for a retry.
    await pair.targetClient.send(new DeleteBucketCommand({ Bucket: targetBucket }));
    const accepted = await fetch(url, { method: "POST", body: minioEvent(sourceBucket, key) });
    expect(accepted.status).toBe(200);
    await accepted.arrayBuffer();
    await worker.waitFor(objectLog(key, "failed"), "the first attempt failing");
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    expect(await readdir(join(journal, "pending"))).toHaveLength(1);

    await pair.targetClient.send(new CreateBucketCommand({ Bucket: targetBucket }));
    worker = startWatch(args, pair.profiles.env);
    const started = await worker.waitFor((line) => line.message === "watch", "restart");
    expect(started.recovered).toBe(1);
    await worker.waitFor(objectLog(key, "copied"), "the journaled event done after the restart");
    const [a, b] = await Promise.all([
      getBytes(pair.sourceClient, sourceBucket, key),
      getBytes(pair.targetClient, targetBucket, key),
    ]);
    expect(b.equals(a)).toBe(true);
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    worker = undefined;
    expect(await readdir(join(journal, "pending"))).toEqual([]);
  });
});

describe("watch --listen scoped to a prefix", () => {
  it("with --delete, never touches a key outside it, whatever a POST names", async () => {
    const { sourceBucket, targetBucket, journal, port } = await listenSetup();
    const kept = Buffer.from("the target's own");
    await putObject(pair.targetClient, targetBucket, "z/important.txt", kept);
    await putObject(pair.sourceClient, sourceBucket, "w/marker.txt", bytesOf(10));
    const listen = ["--listen", `127.0.0.1:${port}`, "--journal", journal, "--delete"];
    worker = startWatch(
      [`s3://${sourceBucket}/w/`, `s3://${targetBucket}`, ...listen, ...pair.profiles.args],
      pair.profiles.env,
    );
    await worker.waitFor((line) => line.message === "watch", "start");

    const bodies = [
      JSON.stringify({ s3xsyncTask: { kind: "object", key: "z/important.txt" } }),
      JSON.stringify(s3Notification(sourceBucket, ["z/important.txt"], "ObjectRemoved:Delete")),
      minioEvent(sourceBucket, "w/marker.txt"),
    ];
    for (const body of bodies) {
      const answer = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
    }
    await worker.waitFor(objectLog("w/marker.txt", "copied"), "the marker copied");
    const refused = objectLog("z/important.txt", "skipped:outside-prefix");
    const current = worker;
    await worker.waitFor(() => current.lines.filter(refused).length === 2, "both bodies refused");
    expect((await getBytes(pair.targetClient, targetBucket, "z/important.txt")).equals(kept)).toBe(true);
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    worker = undefined;
    // Refused events are done, not retried: the journal holds none of them.
    expect(await readdir(join(journal, "pending"))).toEqual([]);
    expect(await readdir(join(journal, "failed"))).toEqual([]);
  });
});
