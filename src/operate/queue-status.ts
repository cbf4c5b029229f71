import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from "@aws-sdk/client-sqs";
import { type DeadLetter, peekDeadLetters } from "./dead-letters.js";
import type { OperateClients } from "./operate-clients.js";
import { awsFailure, type Pipeline, type QueueRef } from "./pipeline.js";
import {
  type FiringAlarm,
  type LastHour,
  readFiringAlarms,
  readPipelineMetrics,
} from "./pipeline-metrics.js";

/** The deployed pipeline at a glance (`s3xsync status`). */
export interface PipelineStatus {
  stack: string | null;
  region: string;
  queue: {
    url: string;
    waiting: number;
    inFlight: number;
    delayed: number;
    /** 0 with nothing waiting; null when CloudWatch has no recent datapoint. */
    oldestMessageAgeSeconds: number | null;
  };
  deadLetterQueue: { url: string; messages: number };
  alarms: FiringAlarm[];
  lastHour: LastHour;
  deadLetters: DeadLetter[];
}

async function counts(sqs: SQSClient, queue: QueueRef) {
  const out = await sqs
    .send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    )
    .catch((error: unknown) => {
      throw awsFailure(`queue ${queue.url} (sqs:GetQueueAttributes)`, error);
    });
  const count = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
  return {
    waiting: count("ApproximateNumberOfMessages"),
    inFlight: count("ApproximateNumberOfMessagesNotVisible"),
    delayed: count("ApproximateNumberOfMessagesDelayed"),
  };
}

export async function readPipelineStatus(
  clients: OperateClients,
  pipeline: Pipeline,
  region: string,
  now = new Date(),
): Promise<PipelineStatus> {
  const [queue, deadLetters, metrics, alarms, peeked] = await Promise.all([
    counts(clients.sqs, pipeline.queue),
    counts(clients.sqs, pipeline.deadLetterQueue),
    readPipelineMetrics(clients.cloudWatch, pipeline, now),
    readFiringAlarms(clients.cloudWatch, pipeline),
    peekDeadLetters(clients.sqs, pipeline.deadLetterQueue),
  ]);
  return {
    stack: pipeline.stackName ?? null,
    region,
    queue: {
      url: pipeline.queue.url,
      ...queue,
      oldestMessageAgeSeconds: queue.waiting === 0 ? 0 : metrics.oldestMessageAgeSeconds,
    },
    // Messages being peeked right now are visible (VisibilityTimeout 0); in flight means a redrive.
    deadLetterQueue: {
      url: pipeline.deadLetterQueue.url,
      messages: deadLetters.waiting + deadLetters.inFlight,
    },
    alarms,
    lastHour: metrics.lastHour,
    deadLetters: peeked,
  };
}
