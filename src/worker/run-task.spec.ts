import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { NO_DEADLINE } from "./deadline.js";
import { syncObject, type TaskContext } from "./run-task.js";
import { backfillPrefix } from "./task-scope.js";

/** A worker scoped to `w/` whose engine, queue and topic must never be reached. */
function scopedContext(): { ctx: TaskContext; reached: string[] } {
  const reached: string[] = [];
  const untouchable = (what: string) =>
    new Proxy(
      {},
      {
        get() {
          reached.push(what);
          throw new Error(`${what} reached`);
        },
      },
    );
  const ctx: TaskContext = {
    config: {
      sourceBucket: "src",
      sourceRegion: "cn-north-1",
      targetBucket: "dst",
      targetRegion: "us-east-1",
      prefixFilter: "w/",
      syncDeletes: true,
      queueUrl: "http://127.0.0.1:9/queue",
      notify: { topicArn: "arn:aws-cn:sns:cn-north-1:111122223333:t" },
      concurrency: 1,
    },
    engine: async () => {
      reached.push("engine");
      throw new Error("engine reached");
    },
    refreshTargetKeys: async () => {
      reached.push("secret");
      return false;
    },
    sqs: untouchable("sqs") as SQSClient,
    sns: untouchable("sns") as SNSClient,
    deadline: { ...NO_DEADLINE, hasTimeForPart: () => false },
  };
  return { ctx, reached };
}

describe("syncObject", () => {
  it.each(["z/important.txt", "w", "W/x", "", "../w/x"])(
    "refuses %j for a worker scoped to w/ before anything is read, written or queued",
    async (key) => {
      const { ctx, reached } = scopedContext();
      expect(await syncObject(ctx, { kind: "object", key, continuation: 3 })).toEqual({
        status: "skipped",
        key,
        size: 0,
        reason: "outside-prefix",
      });
      expect(reached).toEqual([]);
    },
  );
});

describe("backfillPrefix", () => {
  it("narrows a backfill to the prefix filter and refuses one beside it", () => {
    expect(backfillPrefix("", "w/")).toBe("w/");
    expect(backfillPrefix("w/2024/", "w/")).toBe("w/2024/");
    expect(backfillPrefix("z/", "w/")).toBeUndefined();
  });
});
