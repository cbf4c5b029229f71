// The stack's outputs: the names a user needs after deploying, the commands to test and backfill,
// and the setup steps left to do. The original template's outputs keep their names.
import { Aws, CfnOutput, Fn, type Stack } from "aws-cdk-lib";
import type { CfnDashboard } from "aws-cdk-lib/aws-cloudwatch";
import type { CfnRole } from "aws-cdk-lib/aws-iam";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { ifString } from "./intrinsics.js";
import { type SyncConditions, type SyncInputs, sizing } from "./parameters.js";
import {
  type EventRoute,
  type FailureTopic,
  MAX_RECEIVE_COUNT,
  SYNC_LOG_GROUP_NAME,
  type SyncQueues,
  type TargetSecret,
} from "./stack-parts.js";

/** What the outputs name. */
export interface OutputRefs {
  secret: TargetSecret;
  topic: FailureTopic;
  queues: SyncQueues;
  fn: CfnFunction;
  role: CfnRole;
  route: EventRoute;
  dashboard: CfnDashboard;
}

export function defineOutputs(stack: Stack, inputs: SyncInputs, refs: OutputRefs): void {
  const c = inputs.conditions;
  const output = (
    id: string,
    description: string,
    value: string,
    condition?: SyncConditions[keyof SyncConditions],
  ) => {
    // Construct IDs are shared with the parameters (an output may be named like one); logical IDs are not.
    const created = new CfnOutput(stack, `Output${id}`, {
      description,
      value,
      ...(condition ? { condition } : {}),
    });
    created.overrideLogicalId(id);
  };
  output("LambdaFunctionName", "Sync Lambda Function Name", refs.fn.ref);
  output(
    "LogGroupName",
    "The sync function's log group (aws logs tail LOG-GROUP --follow)",
    Fn.sub(SYNC_LOG_GROUP_NAME),
  );
  output(
    "LambdaExecutionRoleArn",
    "The sync function's role (grant it kms:Decrypt in the key policy of a KMS-encrypted source bucket or secret)",
    refs.role.attrArn,
  );
  output("SecretsManagerSecretName", "Secrets Manager Secret Name (the target keys)", refs.secret.name);
  output("EventBridgeRuleName", "EventBridge Rule Name", refs.route.rule.ref);
  output("QueueUrl", "Sync queue (events, continuations, backfill pages)", refs.queues.queue.ref);
  output(
    "DeadLetterQueueUrl",
    `Dead-letter queue: messages received ${MAX_RECEIVE_COUNT} times without success`,
    refs.queues.deadLetterQueue.ref,
  );
  output(
    "DeadLetterQueueArn",
    "Dead-letter queue ARN (source of a redrive)",
    refs.queues.deadLetterQueue.attrArn,
  );
  output("SetupInfo", "Setup Information and Next Steps", setupInfo(refs.secret));
  output(
    "TestCommand",
    "Test sync function manually (copies one key now)",
    ifString(
      c.hasPrefixFilter.logicalId,
      invoke('{"test_key":"${S3PrefixFilter}test/sample.txt"}', "response.json"),
      invoke('{"test_key":"test/sample.txt"}', "response.json"),
    ),
  );
  output(
    "BackfillCommand",
    "Copy the objects already in the source bucket (queues them page by page; progress on the dashboard)",
    invoke('{"backfill":{"prefix":"${S3PrefixFilter}"}}', "backfill.json"),
  );
  output("LambdaConfiguration", "Lambda Configuration Details", lambdaConfiguration(inputs));
  output(
    "DashboardName",
    "CloudWatch dashboard: objects, bytes, failures, replication lag, queues",
    refs.dashboard.ref,
  );
  output(
    "DashboardUrl",
    "CloudWatch dashboard in the console",
    Fn.sub("https://${ConsoleHost}/cloudwatch/home?region=${AWS::Region}#dashboards:name=${SyncDashboard}", {
      ConsoleHost: inputs.mappings.partitionConfig.findInMap(Aws.PARTITION, "ConsoleHost"),
    }),
  );
  output(
    "SNSTopicArn",
    "SNS Topic ARN for failure notifications",
    refs.topic.topic.ref,
    c.createSnsNotification,
  );
  output(
    "SNSSetupInfo",
    "SNS Notification Setup Information",
    Fn.sub(
      "SNS topic: ${FailureNotificationTopic}; e-mail: ${NotificationEmail}. Confirm the subscription from the e-mail AWS sent, or no notice arrives.",
    ),
    c.createSnsNotification,
  );
}

/** An `aws lambda invoke` of the sync function; AWS CLI v2 reads --payload as base64 unless told otherwise. */
function invoke(payload: string, file: string): string {
  return Fn.sub(
    `aws lambda invoke --region \${AWS::Region} --function-name \${SyncLambdaFunction} --cli-binary-format raw-in-base64-out --payload '${payload}' ${file}`,
  );
}

function setupInfo(secret: TargetSecret): string {
  return Fn.sub(
    [
      "S3 cross-partition sync deployed.",
      "Source: ${SourceBucketName} (${SourceRegion}) -> Target: ${TargetBucketName} (${TargetRegion})",
      "Function: ${SyncLambdaFunction}; queue: ${SyncQueue.QueueName}; dead-letter queue: ${DeadLetterQueue.QueueName}; rule: ${S3EventRule}",
      "Logs: aws logs tail ${LogGroupName} --follow --region ${AWS::Region}",
      "Prefix filter: '${S3PrefixFilter}'; size category: ${MaxFileSizeCategory}; retry attempts: ${RetryAttempts}; sync deletes: ${SyncDeletes}; SNS notifications: ${EnableSNSNotification}",
      "EventBridge delivery on ${SourceBucketName} is on (the stack turned it on if it was off); the bucket's other event notifications are unchanged.",
      'Target keys: secret ${TargetSecretName}, JSON {"AccessKeyId": "...", "SecretAccessKey": "..."}. Deployed without TargetAccessKeyId? Put the keys there now (README.md, section "The target keys").',
      'The target keys need write access to ${TargetBucketName}: README.md, section "Before you deploy".',
      "New objects sync from now on; objects already in the bucket after a backfill (BackfillCommand).",
    ].join("\n"),
    { TargetSecretName: secret.name, LogGroupName: Fn.sub(SYNC_LOG_GROUP_NAME) },
  );
}

function lambdaConfiguration(inputs: SyncInputs): string {
  return Fn.sub(
    [
      "Speed setting (MaxFileSizeCategory): ${MaxFileSizeCategory}; no object size limit",
      "Lambda memory: ${MemorySize} MB; /tmp: ${TmpSize} MB (unused: objects stream); timeout: ${TimeoutSeconds} s",
      "Queue visibility timeout: ${VisibilityTimeoutSeconds} s; attempts per part and object in one invocation: ${RetryAttempts}; dead-letter after ${MaxReceiveCount} receives; at most ${MaxConcurrency} concurrent invocations",
    ].join("\n"),
    {
      MemorySize: sizing(inputs, "MemorySize"),
      TmpSize: sizing(inputs, "TmpDirectorySize"),
      TimeoutSeconds: sizing(inputs, "TimeoutSeconds"),
      VisibilityTimeoutSeconds: sizing(inputs, "VisibilityTimeoutSeconds"),
      MaxReceiveCount: String(MAX_RECEIVE_COUNT),
    },
  );
}
