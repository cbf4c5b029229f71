import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { errorName, httpStatusOf } from "../engine/errors.js";
import { awsFailure, type Pipeline } from "./pipeline.js";

export interface RedriveResult {
  /** "message-move-task": SQS moved them; "receive-send-delete": this process did, for an endpoint without move tasks. */
  method: "message-move-task" | "receive-send-delete";
  moved: number;
  /** Messages that could not be moved (they stay in the dead-letter queue). */
  failed: number;
  /** The move task was still running when we stopped following it: SQS goes on moving. */
  running: boolean;
  /** Why a move task failed, as SQS says. */
  failureReason?: string;
}

export interface RedriveOptions {
  /** How long to follow a move task before leaving it to SQS. */
  followMs: number;
  pollMs: number;
}

export const REDRIVE_DEFAULTS: RedriveOptions = { followMs: 300_000, pollMs: 2_000 };

/** Receive/send/delete holds each message invisible this long: a crash leaves it back in the DLQ after it. */
const MOVE_VISIBILITY_SECONDS = 60;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An endpoint that has no message move tasks: SQS-compatible servers and test servers. moto
 * 5.2.1 answers an HTML page with HTTP 500, which the SDK cannot parse.
 */
function moveTasksUnsupported(error: unknown): boolean {
  const name = errorName(error);
  if (/InvalidAction|UnknownOperation|NotImplemented|UnsupportedOperation/.test(name)) return true;
  return name === "SyntaxError" || httpStatusOf(error) === 501;
}

async function listMoveTasks(sqs: SQSClient, pipeline: Pipeline) {
  const out = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: pipeline.deadLetterQueue.arn, MaxResults: 10 }),
  );
  return out.Results ?? [];
}

async function followMoveTask(sqs: SQSClient, pipeline: Pipeline, handle: string, options: RedriveOptions) {
  const deadline = Date.now() + options.followMs;
  for (;;) {
    const tasks = await listMoveTasks(sqs, pipeline);
    const task = tasks.find((t) => t.TaskHandle === handle) ?? tasks[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    const status = task?.Status ?? "RUNNING";
    if (status !== "RUNNING" && status !== "CANCELLING") {
      if (status === "COMPLETED") return { moved, failed: 0, running: false };
      const toMove = task?.ApproximateNumberOfMessagesToMove ?? moved;
      return {
        moved,
        failed: Math.max(0, toMove - moved),
        running: false,
        failureReason: task?.FailureReason ?? `move task ${status.toLowerCase()}`,
      };
    }
    if (Date.now() >= deadline) return { moved, failed: 0, running: true };
    await sleep(options.pollMs);
  }
}

async function waitingCount(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** Sends one received batch to the work queue; deletes from the DLQ exactly what was sent. */
async function moveBatch(sqs: SQSClient, pipeline: Pipeline, messages: Message[]): Promise<number> {
  const sent = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pipeline.queue.url,
      Entries: messages.map((m, i) => ({
        Id: String(i),
        MessageBody: m.Body ?? "",
        ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
      })),
    }),
  );
  const delivered = (sent.Successful ?? []).map((entry) => messages[Number(entry.Id)]);
  if (delivered.length === 0) return 0;
  const deleted = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: pipeline.deadLetterQueue.url,
      Entries: delivered.map((m, i) => ({ Id: String(i), ReceiptHandle: m?.ReceiptHandle })),
    }),
  );
  // A message sent but not deleted comes back to the DLQ and is moved again later: a duplicate
  // event is harmless (the worker looks at the key's current state), a lost one is not.
  return deleted.Successful?.length ?? 0;
}

/**
 * Moves by hand, bounded by the number of messages the DLQ held at the start (rounded up to a
 * batch): messages that fail again and return while it runs are left for the next redrive.
 */
async function receiveSendDelete(sqs: SQSClient, pipeline: Pipeline): Promise<RedriveResult> {
  const dlq = pipeline.deadLetterQueue.url;
  let moved = 0;
  let received = 0;
  try {
    const budget = Math.max(10, await waitingCount(sqs, dlq));
    while (received < budget) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          MaxNumberOfMessages: Math.min(10, budget - received),
          VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      received += messages.length;
      moved += await moveBatch(sqs, pipeline, messages);
    }
  } catch (error) {
    throw awsFailure(`redrive ${dlq} -> ${pipeline.queue.url} (${moved} moved before this)`, error);
  }
  return { method: "receive-send-delete", moved, failed: received - moved, running: false };
}

/**
 * Moves the dead-letter queue's messages back to the work queue. SQS runs one move task per queue
 * at a time: one already running (started in the console, or by an earlier redrive that stopped
 * following it) is followed instead of starting another.
 */
export async function redrive(
  sqs: SQSClient,
  pipeline: Pipeline,
  options: RedriveOptions = REDRIVE_DEFAULTS,
): Promise<RedriveResult> {
  const dlq = pipeline.deadLetterQueue;
  let tasks: Awaited<ReturnType<typeof listMoveTasks>>;
  try {
    tasks = await listMoveTasks(sqs, pipeline);
  } catch (error) {
    if (moveTasksUnsupported(error)) return receiveSendDelete(sqs, pipeline);
    throw awsFailure(`redrive ${dlq.url} (sqs:ListMessageMoveTasks)`, error);
  }
  const moveTask = { method: "message-move-task" } as const;
  let handle = tasks.find((task) => task.Status === "RUNNING")?.TaskHandle;
  if (!handle) {
    const waiting = await waitingCount(sqs, dlq.url).catch((error: unknown) => {
      throw awsFailure(`dead-letter queue ${dlq.url} (sqs:GetQueueAttributes)`, error);
    });
    if (waiting === 0) return { ...moveTask, moved: 0, failed: 0, running: false };
    const started = await sqs
      .send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: pipeline.queue.arn }))
      .catch((error: unknown) => {
        throw awsFailure(`redrive ${dlq.url} (sqs:StartMessageMoveTask)`, error);
      });
    handle = started.TaskHandle ?? "";
  }
  const followed = await followMoveTask(sqs, pipeline, handle, options).catch((error: unknown) => {
    throw awsFailure(`move task on ${dlq.url} (sqs:ListMessageMoveTasks)`, error);
  });
  return { ...moveTask, ...followed };
}
