// The stack's alarms: each one names what failed and what to do, and notifies the failure topic
// when there is one.
import { Aws, Fn, type Stack } from "aws-cdk-lib";
import { CfnAlarm, type CfnAlarmProps } from "aws-cdk-lib/aws-cloudwatch";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "../src/worker/metric-names.js";
import type { SyncInputs } from "./parameters.js";
import { type FailureTopic, MAX_RECEIVE_COUNT, type SyncQueues } from "./stack-parts.js";

/** A queue message at least this old means the queue is not draining. */
export const OLDEST_MESSAGE_ALARM_SECONDS = 3600;

interface AlarmSubjects {
  topic: FailureTopic;
  queues: SyncQueues;
  fn: CfnFunction;
}

/** Defines the alarms; returns their ARNs for the dashboard. */
export function defineAlarms(
  stack: Stack,
  { conditions }: SyncInputs,
  { topic, queues, fn }: AlarmSubjects,
): string[] {
  const alarm = (id: string, name: string, props: Omit<CfnAlarmProps, "alarmName">) =>
    new CfnAlarm(stack, id, {
      // The topic policy lets exactly the alarms whose names start with the stack's name publish.
      alarmName: Fn.sub(`\${AWS::StackName}-${name}`),
      alarmActions: Fn.conditionIf(
        conditions.createSnsNotification.logicalId,
        [topic.topic.ref],
        Aws.NO_VALUE,
      ) as unknown as string[],
      treatMissingData: "notBreaching",
      ...props,
    });
  const deadLetterAlarm = alarm("DeadLetterQueueAlarm", "dead-letter-queue-not-empty", {
    alarmDescription: `Messages reached the dead-letter queue: an object (or a source event) failed ${MAX_RECEIVE_COUNT} receives. Read the logs of the function for the keys and errors, fix the cause, then move the messages back: README.md, section "Fixing and redriving".`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: [{ name: "QueueName", value: queues.deadLetterQueue.attrQueueName }],
    statistic: "Maximum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  const errorsAlarm = alarm("FunctionErrorsAlarm", "function-errors", {
    alarmDescription:
      "The sync function failed whole invocations: a crash, a timeout, running out of memory, or a configuration error in its environment. Failed objects alone do not count here: they are reported per message and end in the dead-letter queue.",
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: [{ name: "FunctionName", value: fn.ref }],
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  const ageAlarm = alarm("OldestMessageAgeAlarm", "queue-not-draining", {
    alarmDescription: `The oldest message in the sync queue has waited over ${OLDEST_MESSAGE_ALARM_SECONDS / 60} minutes: the function is not keeping up (throttled, failing, MaxConcurrency too low) or a large backfill is running. Objects are synced late, not lost.`,
    namespace: "AWS/SQS",
    metricName: "ApproximateAgeOfOldestMessage",
    dimensions: [{ name: "QueueName", value: queues.queue.attrQueueName }],
    statistic: "Maximum",
    period: 300,
    evaluationPeriods: 3,
    threshold: OLDEST_MESSAGE_ALARM_SECONDS,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  // One minute, one datapoint: a broken secret stops every copy, so it is worth an e-mail at once.
  const configurationAlarm = alarm("ConfigurationErrorsAlarm", "configuration-error", {
    alarmDescription:
      'The function cannot read the target keys: the secret is missing, empty or not the expected JSON. Nothing syncs until it is fixed; messages wait in the queue and then the dead-letter queue. Fix the secret, then redrive: README.md, section "Fixing and redriving".',
    namespace: METRIC_NAMESPACE,
    metricName: METRIC.configurationErrors,
    dimensions: [{ name: "service", value: SERVICE_NAME }],
    statistic: "Sum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  return [deadLetterAlarm.attrArn, errorsAlarm.attrArn, ageAlarm.attrArn, configurationAlarm.attrArn];
}
