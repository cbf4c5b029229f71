// The move-task path of redrive, which moto cannot serve: a fake SQS answering the move task's
// calls in sequence (pure logic: when the task is followed, what counts as moved or failed).
import {
  GetQueueAttributesCommand,
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

interface FakeQueue {
  /** The move tasks listed before one is started (an earlier redrive's, or one still running). */
  before?: ListMessageMoveTasksResultEntry[];
  /** What each listing after the start says, in turn; the last one repeats. */
  after?: ListMessageMoveTasksResultEntry[];
  /** Messages in the dead-letter queue. */
  waiting?: number;
}

/** Answers the move task's calls from a script of listings. */
function fakeSqs({ before = [], after = [], waiting = 7 }: FakeQueue) {
  const calls: unknown[] = [];
  let started = false;
  const sqs = {
    async send(command: unknown) {
      calls.push(command);
      if (command instanceof GetQueueAttributesCommand) {
        return { Attributes: { ApproximateNumberOfMessages: String(waiting) } };
      }
      if (command instanceof StartMessageMoveTaskCommand) {
        started = true;
        return { TaskHandle: "handle-1" };
      }
      if (command instanceof ListMessageMoveTasksCommand) {
        if (!started) return { Results: before };
        const entry = after.length > 1 ? after.shift() : after[0];
        return { Results: [{ TaskHandle: "handle-1", ...entry }] };
      }
      throw new Error(`unexpected ${String(command?.constructor.name)}`);
    },
  } as unknown as SQSClient;
  const starts = () =>
    calls.filter((c) => c instanceof StartMessageMoveTaskCommand) as StartMessageMoveTaskCommand[];
  return { sqs, starts };
}

const follow = { followMs: 60_000, pollMs: 1 };

describe("redrive with a message move task", () => {
  it("moves from the dead-letter queue to the work queue and follows the task until it completes", async () => {
    const { sqs, starts } = fakeSqs({
      before: [{ TaskHandle: "old", Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 2 }],
      after: [
        { Status: "RUNNING", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 },
        { Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 },
      ],
    });
    expect(await redrive(sqs, pipeline, follow)).toEqual({
      method: "message-move-task",
      moved: 7,
      failed: 0,
      running: false,
    });
    expect(starts().map((c) => c.input)).toEqual([
      {
        SourceArn: pipeline.deadLetterQueue.arn,
        DestinationArn: pipeline.queue.arn,
      },
    ]);
  });

  it("a failed task: the messages not moved and SQS's reason", async () => {
    const { sqs } = fakeSqs({
      after: [
        {
          Status: "FAILED",
          ApproximateNumberOfMessagesMoved: 2,
          ApproximateNumberOfMessagesToMove: 5,
          FailureReason: "AWS.SimpleQueueService.NonExistentQueue",
        },
      ],
    });
    expect(await redrive(sqs, pipeline, follow)).toEqual({
      method: "message-move-task",
      moved: 2,
      failed: 3,
      running: false,
      failureReason: "AWS.SimpleQueueService.NonExistentQueue",
    });
  });

  it("stops following after followMs and says the task is still running", async () => {
    const { sqs } = fakeSqs({ after: [{ Status: "RUNNING", ApproximateNumberOfMessagesMoved: 40 }] });
    expect(await redrive(sqs, pipeline, { followMs: 0, pollMs: 1 })).toEqual({
      method: "message-move-task",
      moved: 40,
      failed: 0,
      running: true,
    });
  });

  it("follows a task already running instead of starting a second one", async () => {
    const { sqs, starts } = fakeSqs({
      before: [{ TaskHandle: "console", Status: "RUNNING", ApproximateNumberOfMessagesMoved: 1 }],
    });
    const result = await redrive(sqs, pipeline, { followMs: 0, pollMs: 1 });
    expect(result).toEqual({ method: "message-move-task", moved: 1, failed: 0, running: true });
    expect(starts()).toEqual([]);
  });

  it("an empty dead-letter queue: nothing to start, 0 moved", async () => {
    const { sqs, starts } = fakeSqs({ waiting: 0 });
    expect(await redrive(sqs, pipeline, follow)).toEqual({
      method: "message-move-task",
      moved: 0,
      failed: 0,
      running: false,
    });
    expect(starts()).toEqual([]);
  });
});
