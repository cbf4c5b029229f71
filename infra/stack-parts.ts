// The records the stack's parts hand each other: what one part creates and a later one refers to.
import type { CfnRule } from "aws-cdk-lib/aws-events";
import type { CfnTopic } from "aws-cdk-lib/aws-sns";
import type { CfnQueue, CfnQueuePolicy } from "aws-cdk-lib/aws-sqs";

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

export interface SyncQueues {
  queue: CfnQueue;
  deadLetterQueue: CfnQueue;
}

/** The rule that sends the source bucket's events to the queue, and the queue's permission for it. */
export interface EventRoute {
  rule: CfnRule;
  queuePolicy: CfnQueuePolicy;
}
