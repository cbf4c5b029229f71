// The move-task path of redrive, which moto cannot serve: a fake SQS answering the move task's
// calls in sequence (pure logic: when the task is followed, what counts as moved or failed).
import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { Pipeline } from "./pipeline.js";
import { redrive } from "./redrive.js";

const pipeline: Pipeline = {
  queue: {
    url: "https://sqs.cn-north-1.amazonaws.com.cn/1/q",
    arn: "arn:aws-cn:sqs:cn-north-1:1:q",
    name: "q",
  },
  deadLetterQueue: {
    url: "https://sqs.cn-north-1.amazonaws.com.cn/1/dlq",
    arn: "arn:aws-cn:sqs:cn-north-1:1:dlq",
    name: "dlq",
  },
};

/** Answers StartMessageMoveTask with a handle and each ListMessageMoveTasks with the next entry. */
function fakeSqs(listings: ListMessageMoveTasksResultEntry[]) {
  const calls: unknown[] = [];
  const sqs = {
    async send(command: unknown) {
      calls.push(command);
      if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: "handle-1" };
      if (command instanceof ListMessageMoveTasksCommand) {
        const entry = listings.length > 1 ? listings.shift() : listings[0];
        return { Results: [{ TaskHandle: "handle-1", ...entry }] };
      }
      throw new Error(`unexpected ${String(command?.constructor.name)}`);
    },
  } as unknown as SQSClient;
  return { sqs, calls };
}

const follow = { followMs: 60_000, pollMs: 1 };

describe("redrive with a message move task", () => {
  it("moves from the dead-letter queue to the work queue and follows the task until it completes", async () => {
    const { sqs, calls } = fakeSqs([
      { Status: "RUNNING", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 },
      { Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 },
    ]);
    expect(await redrive(sqs, pipeline, follow)).toEqual({
      method: "message-move-task",
      moved: 7,
      failed: 0,
      running: false,
    });
    expect((calls[0] as StartMessageMoveTaskCommand).input).toEqual({
      SourceArn: pipeline.deadLetterQueue.arn,
      DestinationArn: pipeline.queue.arn,
    });
  });

  it("a failed task: the messages not moved and SQS's reason", async () => {
    const { sqs } = fakeSqs([
      {
        Status: "FAILED",
        ApproximateNumberOfMessagesMoved: 2,
        ApproximateNumberOfMessagesToMove: 5,
        FailureReason: "AWS.SimpleQueueService.NonExistentQueue",
      },
    ]);
    expect(await redrive(sqs, pipeline, follow)).toEqual({
      method: "message-move-task",
      moved: 2,
      failed: 3,
      running: false,
      failureReason: "AWS.SimpleQueueService.NonExistentQueue",
    });
  });

  it("stops following after followMs and says the task is still running", async () => {
    const { sqs } = fakeSqs([{ Status: "RUNNING", ApproximateNumberOfMessagesMoved: 40 }]);
    expect(await redrive(sqs, pipeline, { followMs: 0, pollMs: 1 })).toEqual({
      method: "message-move-task",
      moved: 40,
      failed: 0,
      running: true,
    });
  });
});
