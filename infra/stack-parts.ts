// The records the stack's parts hand each other: what one part creates and a later one refers to.
import type { CfnRule } from "aws-cdk-lib/aws-events";
import type { CfnTopic } from "aws-cdk-lib/aws-sns";
import type { CfnQueue, CfnQueuePolicy } from "aws-cdk-lib/aws-sqs";

/**
 * The sync function's name, and so its log group's: `/aws/lambda/STACK-sync`, where the Lambda
 * console and `aws logs tail` look. Lambda allows 64 characters: stack names up to 59.
 */
export const SYNC_FUNCTION_NAME = "${AWS::StackName}-sync";
export const SYNC_LOG_GROUP_NAME = `/aws/lambda/${SYNC_FUNCTION_NAME}`;

/** The secret the function reads the target's keys from: the one this stack creates, or an existing one. */
export interface TargetSecret {
  name: string;
  arn: string;
}

/** The failure topic exists only under CreateSNSNotification; the function gets its ARN or "". */
export interface FailureTopic {
  topic: CfnTopic;
  arnOrEmpty: string;
}

/**
 * Receives of a message before the dead-letter queue. AWS advises at least 5 for a queue that feeds
 * Lambda (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html): a throttled
 * or briefly failing batch comes back without losing its messages. RetryAttempts stays the attempts
 * per part and object within one invocation.
 */
export const MAX_RECEIVE_COUNT = 5;

export interface SyncQueues {
  queue: CfnQueue;
  deadLetterQueue: CfnQueue;
}

/** The rule that sends the source bucket's events to the queue, and the queue's permission for it. */
export interface EventRoute {
  rule: CfnRule;
  queuePolicy: CfnQueuePolicy;
}
