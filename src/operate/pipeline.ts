import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError, errorName } from "../engine/errors.js";
import { PreflightError } from "../user-facing/errors.js";
import type { OperateClients } from "./operate-clients.js";

/** What the user named: the stack, or the queue (and optionally its dead-letter queue). */
export type PipelineTarget =
  | { kind: "stack"; stackName: string }
  | { kind: "queue"; queueUrl: string; deadLetterQueueUrl?: string };

export interface QueueRef {
  url: string;
  arn: string;
  name: string;
}

/** The deployed pipeline's queues, found and proven to exist. */
export interface Pipeline {
  stackName?: string;
  queue: QueueRef;
  deadLetterQueue: QueueRef;
}

/** The stack outputs that name the queues (infra/outputs.ts). */
const QUEUE_OUTPUT = "QueueUrl";
const DEAD_LETTER_OUTPUT = "DeadLetterQueueUrl";

/**
 * One line naming the call and what it was about. describeError speaks of buckets for a refusal,
 * so a missing permission is told here with the service's own words (they name the action).
 */
export function awsFailure(what: string, error: unknown): PreflightError {
  const name = errorName(error);
  if (/AccessDenied|AuthorizationError|UnauthorizedOperation/.test(name)) {
    const message = ((error as Error | undefined)?.message ?? "").split("\n")[0];
    return new PreflightError(`${what}: no permission (${name}): ${message}`);
  }
  return new PreflightError(`${what}: ${describeError(error)}`);
}

async function stackQueueUrls(
  clients: OperateClients,
  stackName: string,
  region: string,
): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
  const described = await clients.cloudFormation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .catch((error: unknown) => {
      if (/does not exist/.test((error as Error).message)) {
        throw new PreflightError(
          `stack "${stackName}" not found in ${region} (wrong --region or --profile?)`,
        );
      }
      throw awsFailure(`stack "${stackName}" (cloudformation:DescribeStacks)`, error);
    });
  const stack = described.Stacks?.[0];
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const queueUrl = output(QUEUE_OUTPUT);
  const deadLetterQueueUrl = output(DEAD_LETTER_OUTPUT);
  if (!queueUrl || !deadLetterQueueUrl) {
    throw new PreflightError(
      `stack "${stackName}" (${stack?.StackStatus ?? "no status"}) has no ${QUEUE_OUTPUT} and ${DEAD_LETTER_OUTPUT} outputs: is it an s3-cross-partition-sync stack, fully deployed?`,
    );
  }
  return { queueUrl, deadLetterQueueUrl };
}

function queueName(arn: string): string {
  return arn.split(":").at(-1) ?? arn;
}

async function queueAttributes(sqs: SQSClient, url: string, role: string) {
  const out = await sqs
    .send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn", "RedrivePolicy"] }))
    .catch((error: unknown) => {
      throw awsFailure(`${role} ${url} (sqs:GetQueueAttributes)`, error);
    });
  const arn = out.Attributes?.QueueArn ?? "";
  return { ref: { url, arn, name: queueName(arn) }, redrivePolicy: out.Attributes?.RedrivePolicy };
}

/** The dead-letter queue the queue's RedrivePolicy names. */
async function deadLetterUrl(sqs: SQSClient, queue: QueueRef, redrivePolicy?: string): Promise<string> {
  let targetArn: unknown;
  try {
    targetArn = (JSON.parse(redrivePolicy ?? "{}") as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
  } catch {
    targetArn = undefined;
  }
  if (typeof targetArn !== "string") {
    throw new PreflightError(`queue ${queue.url} has no dead-letter queue (RedrivePolicy): give --dlq-url`);
  }
  const [, , , , account = "", name = ""] = targetArn.split(":");
  const out = await sqs
    .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))
    .catch((error: unknown) => {
      throw awsFailure(`dead-letter queue ${targetArn} (sqs:GetQueueUrl)`, error);
    });
  return out.QueueUrl ?? "";
}

/** Finds the queues the target names and proves they exist; failures are one line (exit 2). */
export async function resolvePipeline(
  clients: OperateClients,
  target: PipelineTarget,
  region: string,
): Promise<Pipeline> {
  const urls = target.kind === "stack" ? await stackQueueUrls(clients, target.stackName, region) : target;
  const queue = await queueAttributes(clients.sqs, urls.queueUrl, "queue");
  const dlqUrl =
    urls.deadLetterQueueUrl ?? (await deadLetterUrl(clients.sqs, queue.ref, queue.redrivePolicy));
  const deadLetterQueue = await queueAttributes(clients.sqs, dlqUrl, "dead-letter queue");
  return {
    ...(target.kind === "stack" ? { stackName: target.stackName } : {}),
    queue: queue.ref,
    deadLetterQueue: deadLetterQueue.ref,
  };
}
