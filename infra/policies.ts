// The stack's IAM and resource policies as plain documents: every permission the deployment grants
// is in this file.
import { Aws, Fn } from "aws-cdk-lib";

const VERSION = "2012-10-17";

/** Lets the Lambda service run a function with the role. */
export const ASSUME_BY_LAMBDA = {
  Version: VERSION,
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

function sourceBucketArn(): string {
  return Fn.sub("arn:${AWS::Partition}:s3:::${SourceBucketName}");
}

/** Refuses the action on the resource to any request that does not come over TLS. */
function denyWithoutTls(sid: string, action: string, resource: string) {
  return {
    Sid: sid,
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

function writeLogs(logGroupArn: string) {
  return {
    Sid: "WriteLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: logGroupArn,
  };
}

export interface SyncFunctionGrants {
  secretArn: string;
  queueArn: string;
  logGroupArn: string;
  /** The failure topic's ARN and the condition under which it exists. */
  topicArn: string;
  topicCondition: string;
}

/** The sync function reads the source bucket, the target keys and its queue, and publishes failures. */
export function syncFunctionPolicy(grants: SyncFunctionGrants) {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "ReadSourceObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
        Resource: Fn.sub("arn:${AWS::Partition}:s3:::${SourceBucketName}/${S3PrefixFilter}*"),
      },
      { Sid: "ListSourceBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: sourceBucketArn() },
      {
        Sid: "ReadTargetKeys",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: grants.secretArn,
      },
      {
        Sid: "ConsumeAndQueueWork",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"],
        Resource: grants.queueArn,
      },
      writeLogs(grants.logGroupArn),
      Fn.conditionIf(
        grants.topicCondition,
        { Sid: "PublishFailures", Effect: "Allow", Action: "sns:Publish", Resource: grants.topicArn },
        Aws.NO_VALUE,
      ),
    ],
  };
}

/** The custom resource's function merges EventBridge delivery into the source bucket's notifications. */
export function notificationFunctionPolicy(logGroupArn: string) {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "MergeSourceBucketNotifications",
        Effect: "Allow",
        Action: ["s3:GetBucketNotification", "s3:PutBucketNotification"],
        Resource: sourceBucketArn(),
      },
      writeLogs(logGroupArn),
    ],
  };
}

/** Only this stack's alarms publish to the failure topic, and only over TLS. */
export function failureTopicPolicy(topicArn: string) {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "AllowThisStacksAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          ArnLike: {
            // Alarm names all start with the stack's name (infra/alarms.ts names them).
            "aws:SourceArn": Fn.sub(
              "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-*",
            ),
          },
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
        },
      },
      denyWithoutTls("DenyPublishWithoutTls", "sns:Publish", topicArn),
    ],
  };
}

/** Only the source bucket's rule sends to a queue (the sync queue, or its dead-letter queue), only over TLS. */
export function ruleToQueuePolicy(queueArn: string, ruleArn: string) {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "AllowSourceBucketRule",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
      denyWithoutTls("DenyWithoutTls", "sqs:*", queueArn),
    ],
  };
}
