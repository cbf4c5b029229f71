import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SyncTask, TaskMessage } from "../events/tasks.js";

const SQS_BATCH_LIMIT = 10;

/** Queues tasks for later invocations (continuations, backfill keys and pages), ten per request. */
export async function queueTasks(
  sqs: SQSClient,
  queueUrl: string,
  tasks: readonly SyncTask[],
): Promise<void> {
  for (let start = 0; start < tasks.length; start += SQS_BATCH_LIMIT) {
    const batch = tasks.slice(start, start + SQS_BATCH_LIMIT);
    const output = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((task, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify({ s3xsyncTask: task } satisfies TaskMessage),
        })),
      }),
    );
    if (output.Failed?.length) {
      const first = output.Failed[0];
      throw new Error(`queueing ${output.Failed.length} task(s) failed: ${first?.Code}: ${first?.Message}`);
    }
  }
}
