import {
  Aws,
  CfnCustomResource,
  CfnDeletionPolicy,
  CfnOutput,
  type CfnResource,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  Token,
  Validations,
} from "aws-cdk-lib";
import { CfnAlarm, type CfnAlarmProps, CfnDashboard } from "aws-cdk-lib/aws-cloudwatch";
import { CfnRule } from "aws-cdk-lib/aws-events";
import { CfnRole } from "aws-cdk-lib/aws-iam";
import { CfnEventSourceMapping, CfnFunction } from "aws-cdk-lib/aws-lambda";
import { CfnLogGroup } from "aws-cdk-lib/aws-logs";
import { CfnSecret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnSubscription, CfnTopic, CfnTopicPolicy } from "aws-cdk-lib/aws-sns";
import { CfnQueue, CfnQueuePolicy } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { dashboardBody } from "./dashboard.js";
import { defineInputs, type SyncConditions, type SyncMappings, type SyncParameters } from "./parameters.js";

/** Lambda runtime of both functions: the handler bundle targets Node 22 (DESIGN.md). */
export const RUNTIME = "nodejs22.x";

/** A queue message at least this old means the queue is not draining. */
export const OLDEST_MESSAGE_ALARM_SECONDS = 3600;

/** Messages wait this long for a receive; the dead-letter queue keeps them twice as long. */
const QUEUE_RETENTION_SECONDS = 7 * 24 * 3600;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export interface SyncStackProps {
  /** The sync handler's bundle (dist/lambda/handler.js): CommonJS exporting `handler`. */
  handlerCode: string;
  /** The custom resource's code (infra/eventbridge-notification-handler.cjs). */
  notificationHandlerCode: string;
  /** Package version, shown in the template's description. */
  version: string;
}

/** Lets the Lambda service run a function with the role. */
const ASSUME_BY_LAMBDA = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

function sourceBucketArn(): string {
  return Fn.sub("arn:${AWS::Partition}:s3:::${SourceBucketName}");
}

type Tokenish = string | ReturnType<typeof Fn.conditionIf>;

/** `Fn::If` as a string-typed property value. */
function ifString(condition: string, whenTrue: Tokenish, whenFalse: Tokenish): string {
  return Token.asString(Fn.conditionIf(condition, whenTrue, whenFalse));
}

/** The secret the function reads the target's keys from: the one this stack creates, or an existing one. */
interface TargetSecret {
  name: string;
  arn: string;
}

/** The failure topic exists only under CreateSNSNotification; the function gets its ARN or "". */
interface FailureTopic {
  topic: CfnTopic;
  arnOrEmpty: string;
}

interface SyncQueues {
  queue: CfnQueue;
  deadLetterQueue: CfnQueue;
}

interface SyncFunction {
  fn: CfnFunction;
  role: CfnRole;
}

/** The rule that sends the source bucket's events to the queue, and the queue's permission for it. */
interface EventRoute {
  rule: CfnRule;
  queuePolicy: CfnQueuePolicy;
}

/** What the outputs name. */
interface OutputRefs {
  secret: TargetSecret;
  topic: FailureTopic;
  queues: SyncQueues;
  fn: CfnFunction;
  role: CfnRole;
  route: EventRoute;
  dashboard: CfnDashboard;
}

type SizingKey = "MemorySize" | "TmpDirectorySize" | "TimeoutSeconds" | "VisibilityTimeoutSeconds";

/**
 * The whole deployment in one stack: EventBridge rule -> SQS queue (+ dead-letter queue) -> the
 * sync function, the target keys in Secrets Manager, alarms, a dashboard, and a custom resource
 * that turns on EventBridge delivery for the existing source bucket. Plain CloudFormation
 * resources throughout (no CDK assets, no bootstrap), so the synthesized template is the product.
 */
export class SyncStack extends Stack {
  readonly parameters: SyncParameters;
  readonly conditions: SyncConditions;
  readonly mappings: SyncMappings;

  constructor(scope: Construct, id: string, props: SyncStackProps) {
    super(scope, id, {
      description: `S3 Cross-Partition Sync ${props.version}: event-driven, verified S3 replication between AWS China and AWS Global (s3-cross-partition-sync)`,
      // No bootstrap: no assets, no BootstrapVersion parameter or rule.
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
    });
    this.templateOptions.templateFormatVersion = "2010-09-09";
    Validations.of(this).acknowledge({
      id: "CloudFormation-Validate::W2509",
      reason:
        "SecretsManagerSecretName and ExistingSecretName hold the names of secrets, not secret values; the key parameters themselves are NoEcho.",
    });
    const { parameters, conditions, mappings } = defineInputs(this);
    this.parameters = parameters;
    this.conditions = conditions;
    this.mappings = mappings;

    const secret = this.targetSecret();
    const topic = this.failureTopic();
    const queues = this.queues();
    const { fn, role } = this.syncFunction(props, secret, topic, queues);
    const route = this.eventRule(queues);
    this.sourceBucketNotification(props.notificationHandlerCode, route);
    const alarmArns = this.alarms(topic, queues, fn);
    const dashboard = this.dashboard(queues, fn, alarmArns);
    this.outputs({ secret, topic, queues, fn, role, route, dashboard });
  }

  /** The target keys. */
  private targetSecret(): TargetSecret {
    const { parameters: p, conditions: c } = this;
    const secret = new CfnSecret(this, "TargetAccountCredentials", {
      name: p.secretsManagerSecretName.valueAsString,
      description:
        'Target account keys for s3-cross-partition-sync: {"AccessKeyId": "...", "SecretAccessKey": "..."} (optionally "SessionToken")',
      secretString: Fn.sub(
        '{"AccessKeyId":"${TargetAccessKeyId}","SecretAccessKey":"${TargetSecretAccessKey}"}',
      ),
    });
    secret.cfnOptions.condition = c.createSecret;
    // Deleting the stack deletes the keys with it: they belong to this deployment.
    this.deletionPolicy(secret, CfnDeletionPolicy.DELETE);
    Validations.of(secret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The secret holds an access key of an IAM user in the other partition (a different AWS account and partition): Secrets Manager cannot rotate it from here. Rotation is the key owner's step, documented in the README (put-secret-value; the function picks the new keys up within 5 minutes).",
    });
    const name = ifString(
      c.createSecret.logicalId,
      p.secretsManagerSecretName.valueAsString,
      p.existingSecretName.valueAsString,
    );
    const arn = ifString(
      c.createSecret.logicalId,
      secret.ref,
      Fn.sub(
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${ExistingSecretName}-??????",
      ),
    );
    return { name, arn };
  }

  /** Failure notices by e-mail: the alarms and the function publish to the topic. */
  private failureTopic(): FailureTopic {
    const { parameters: p, conditions: c } = this;
    const topic = new CfnTopic(this, "FailureNotificationTopic", {
      displayName: "S3 Cross-Partition Sync Failure Notifications",
    });
    topic.cfnOptions.condition = c.createSnsNotification;
    // No AwsSolutions-SNS2 finding to acknowledge (the AwsSolutions pack does not require KMS on
    // topics), but the choice is deliberate: CloudWatch alarms cannot publish to a topic encrypted
    // with the AWS managed SNS key, and the notices carry object keys and errors, never object data.
    const subscription = new CfnSubscription(this, "FailureNotificationSubscription", {
      topicArn: topic.ref,
      protocol: "email",
      endpoint: p.notificationEmail.valueAsString,
    });
    subscription.cfnOptions.condition = c.createSnsNotification;
    const topicPolicy = new CfnTopicPolicy(this, "FailureNotificationTopicPolicy", {
      topics: [topic.ref],
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AllowThisStacksAlarms",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic.ref,
            Condition: {
              ArnLike: {
                // Alarm names all start with the stack's name (see alarm() below).
                "aws:SourceArn": Fn.sub(
                  "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-*",
                ),
              },
              StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
            },
          },
          {
            Sid: "DenyPublishWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: topic.ref,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      },
    });
    topicPolicy.cfnOptions.condition = c.createSnsNotification;
    return { topic, arnOrEmpty: ifString(c.createSnsNotification.logicalId, topic.ref, "") };
  }

  private queues(): SyncQueues {
    const deadLetterQueue = new CfnQueue(this, "DeadLetterQueue", {
      messageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    // Queued work dies with the stack: the source bucket stays the truth, and a backfill rebuilds it.
    this.deletionPolicy(deadLetterQueue, CfnDeletionPolicy.DELETE);
    const queue = new CfnQueue(this, "SyncQueue", {
      visibilityTimeout: Token.asNumber(this.sizing("VisibilityTimeoutSeconds")),
      messageRetentionPeriod: QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      redrivePolicy: {
        deadLetterTargetArn: deadLetterQueue.attrArn,
        maxReceiveCount: this.parameters.retryAttempts.valueAsNumber,
      },
    });
    this.deletionPolicy(queue, CfnDeletionPolicy.DELETE);
    return { queue, deadLetterQueue };
  }

  private syncFunction(
    props: SyncStackProps,
    secret: TargetSecret,
    topic: FailureTopic,
    queues: SyncQueues,
  ): SyncFunction {
    const { parameters: p, conditions: c } = this;
    const logGroup = new CfnLogGroup(this, "SyncFunctionLogGroup", {
      retentionInDays: p.logRetentionDays.valueAsNumber,
    });
    this.deletionPolicy(logGroup, CfnDeletionPolicy.RETAIN);
    const role = new CfnRole(this, "LambdaExecutionRole", {
      description: "s3-cross-partition-sync function: reads the source bucket, the target keys and its queue",
      assumeRolePolicyDocument: ASSUME_BY_LAMBDA,
      policies: [
        {
          policyName: "S3CrossPartitionSyncPolicy",
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "ReadSourceObjects",
                Effect: "Allow",
                Action: [
                  "s3:GetObject",
                  "s3:GetObjectVersion",
                  "s3:GetObjectTagging",
                  "s3:GetObjectVersionTagging",
                ],
                Resource: Fn.sub("arn:${AWS::Partition}:s3:::${SourceBucketName}/${S3PrefixFilter}*"),
              },
              {
                Sid: "ListSourceBucket",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: sourceBucketArn(),
              },
              {
                Sid: "ReadTargetKeys",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: secret.arn,
              },
              {
                Sid: "ConsumeAndQueueWork",
                Effect: "Allow",
                Action: [
                  "sqs:ReceiveMessage",
                  "sqs:DeleteMessage",
                  "sqs:GetQueueAttributes",
                  "sqs:SendMessage",
                ],
                Resource: queues.queue.attrArn,
              },
              {
                Sid: "WriteLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: logGroup.attrArn,
              },
              Fn.conditionIf(
                c.createSnsNotification.logicalId,
                { Sid: "PublishFailures", Effect: "Allow", Action: "sns:Publish", Resource: topic.topic.ref },
                Aws.NO_VALUE,
              ),
            ],
          },
        },
      ],
    });
    // An existing secret's ARN ends in "-" and six random characters, which "-??????" matches
    // exactly; the Fn::If hides this wildcard from cdk-nag, so it is explained here instead.
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<SourceBucketName>/<S3PrefixFilter>*]",
      reason:
        "Object reads are limited to the source bucket and to the keys under S3PrefixFilter; the keys themselves are only known when events arrive.",
    });
    const fn = new CfnFunction(this, "SyncLambdaFunction", {
      description: `s3-cross-partition-sync ${props.version}: copies source objects to the target bucket in the other partition`,
      runtime: RUNTIME,
      architectures: ["x86_64"],
      handler: "index.handler",
      code: { zipFile: props.handlerCode },
      role: role.attrArn,
      timeout: Token.asNumber(this.sizing("TimeoutSeconds")),
      memorySize: Token.asNumber(this.sizing("MemorySize")),
      ephemeralStorage: { size: Token.asNumber(this.sizing("TmpDirectorySize")) },
      loggingConfig: { logGroup: logGroup.ref },
      environment: {
        variables: {
          SOURCE_REGION: p.sourceRegion.valueAsString,
          TARGET_REGION: p.targetRegion.valueAsString,
          SOURCE_BUCKET: p.sourceBucketName.valueAsString,
          TARGET_BUCKET: p.targetBucketName.valueAsString,
          SECRETS_MANAGER_SECRET_NAME: secret.name,
          S3_PREFIX_FILTER: p.s3PrefixFilter.valueAsString,
          RETRY_ATTEMPTS: Token.asString(p.retryAttempts.value),
          ENABLE_SNS_NOTIFICATION: p.enableSnsNotification.valueAsString,
          SNS_TOPIC_ARN: topic.arnOrEmpty,
          MAX_FILE_SIZE_CATEGORY: p.maxFileSizeCategory.valueAsString,
          SYNC_DELETES: p.syncDeletes.valueAsString,
          QUEUE_URL: queues.queue.ref,
          TARGET_STORAGE_CLASS: p.targetStorageClass.valueAsString,
          TARGET_SSE: p.targetEncryption.valueAsString,
          TARGET_SSE_KMS_KEY_ID: p.targetKmsKeyId.valueAsString,
        },
      },
    });
    Validations.of(fn).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "DESIGN.md fixes nodejs22.x as the handler's Lambda runtime, the one its bundle is tested for; moving to a newer runtime is a deliberate, tested change.",
    });
    const eventSource = new CfnEventSourceMapping(this, "SyncQueueEventSource", {
      eventSourceArn: queues.queue.attrArn,
      functionName: fn.ref,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: p.maxConcurrency.valueAsNumber },
      enabled: true,
    });
    eventSource.addResourceDependency(role);
    return { fn, role };
  }

  /** Events: S3 -> EventBridge rule -> queue. */
  private eventRule(queues: SyncQueues): EventRoute {
    const { parameters: p, conditions: c } = this;
    const rule = new CfnRule(this, "S3EventRule", {
      description: "Source bucket object events (key prefix filtered) to the sync queue",
      state: "ENABLED",
      eventPattern: {
        source: ["aws.s3"],
        "detail-type": Fn.conditionIf(
          c.syncDeletesEnabled.logicalId,
          ["Object Created", "Object Deleted"],
          ["Object Created"],
        ),
        detail: Fn.conditionIf(
          c.hasPrefixFilter.logicalId,
          {
            bucket: { name: [p.sourceBucketName.valueAsString] },
            object: { key: [{ prefix: p.s3PrefixFilter.valueAsString }] },
          },
          { bucket: { name: [p.sourceBucketName.valueAsString] } },
        ),
      },
      targets: [
        {
          id: "SyncQueue",
          arn: queues.queue.attrArn,
          deadLetterConfig: { arn: queues.deadLetterQueue.attrArn },
          retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        },
      ],
    });
    const denyWithoutTls = (queueArn: string) => ({
      Sid: "DenyWithoutTls",
      Effect: "Deny",
      Principal: "*",
      Action: "sqs:*",
      Resource: queueArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const allowRule = (queueArn: string) => ({
      Sid: "AllowSourceBucketRule",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": rule.attrArn } },
    });
    const queuePolicy = new CfnQueuePolicy(this, "SyncQueuePolicy", {
      queues: [queues.queue.ref],
      policyDocument: {
        Version: "2012-10-17",
        Statement: [allowRule(queues.queue.attrArn), denyWithoutTls(queues.queue.attrArn)],
      },
    });
    new CfnQueuePolicy(this, "DeadLetterQueuePolicy", {
      queues: [queues.deadLetterQueue.ref],
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          allowRule(queues.deadLetterQueue.attrArn),
          denyWithoutTls(queues.deadLetterQueue.attrArn),
        ],
      },
    });
    return { rule, queuePolicy };
  }

  /** EventBridge delivery on the existing source bucket (custom resource). */
  private sourceBucketNotification(code: string, route: EventRoute): void {
    const p = this.parameters;
    const notificationLogGroup = new CfnLogGroup(this, "EventBridgeNotificationLogGroup", {
      retentionInDays: p.logRetentionDays.valueAsNumber,
    });
    this.deletionPolicy(notificationLogGroup, CfnDeletionPolicy.RETAIN);
    const notificationRole = new CfnRole(this, "EventBridgeNotificationRole", {
      description: "s3-cross-partition-sync: turns on EventBridge delivery for the source bucket",
      assumeRolePolicyDocument: ASSUME_BY_LAMBDA,
      policies: [
        {
          policyName: "SourceBucketNotificationPolicy",
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "MergeSourceBucketNotifications",
                Effect: "Allow",
                Action: ["s3:GetBucketNotification", "s3:PutBucketNotification"],
                Resource: sourceBucketArn(),
              },
              {
                Sid: "WriteLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: notificationLogGroup.attrArn,
              },
            ],
          },
        },
      ],
    });
    const notificationFunction = new CfnFunction(this, "EventBridgeNotificationFunction", {
      description:
        "s3-cross-partition-sync: merges EventBridge delivery into the source bucket's notifications",
      runtime: RUNTIME,
      architectures: ["x86_64"],
      handler: "index.handler",
      code: { zipFile: code },
      role: notificationRole.attrArn,
      timeout: 120,
      memorySize: 128,
      loggingConfig: { logGroup: notificationLogGroup.ref },
    });
    Validations.of(notificationFunction).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Runs on the same runtime as the sync function (nodejs22.x) and uses only the AWS SDK v3 that runtime ships.",
    });
    const sourceNotification = new CfnCustomResource(this, "SourceBucketEventBridgeNotification", {
      serviceToken: notificationFunction.attrArn,
    });
    sourceNotification.addOverride("Type", "Custom::S3EventBridgeNotification");
    sourceNotification.addPropertyOverride("BucketName", p.sourceBucketName.valueAsString);
    sourceNotification.addPropertyOverride("ExpectedBucketOwner", Aws.ACCOUNT_ID);
    // The function always answers (it keeps 10 s for it); should it not, fail after 5 minutes, not an hour.
    sourceNotification.addPropertyOverride("ServiceTimeout", 300);
    // Deliver only once the rule and its queue permission exist; on deletion, stop delivery first.
    sourceNotification.addResourceDependency(route.rule);
    sourceNotification.addResourceDependency(route.queuePolicy);
  }

  /** The alarms; returns their ARNs for the dashboard. */
  private alarms(topic: FailureTopic, queues: SyncQueues, fn: CfnFunction): string[] {
    const deadLetterAlarm = this.alarm(topic, "DeadLetterQueueAlarm", "dead-letter-queue-not-empty", {
      alarmDescription:
        "Messages reached the dead-letter queue: an object (or a source event) failed RetryAttempts times. Read the function's logs for the keys and errors, fix the cause, then move the messages back with the README's redrive command.",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: [{ name: "QueueName", value: queues.deadLetterQueue.attrQueueName }],
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    const errorsAlarm = this.alarm(topic, "FunctionErrorsAlarm", "function-errors", {
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
    const ageAlarm = this.alarm(topic, "OldestMessageAgeAlarm", "queue-not-draining", {
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
    return [deadLetterAlarm.attrArn, errorsAlarm.attrArn, ageAlarm.attrArn];
  }

  private dashboard(queues: SyncQueues, fn: CfnFunction, alarmArns: string[]): CfnDashboard {
    return new CfnDashboard(this, "SyncDashboard", {
      dashboardName: Fn.sub("${AWS::StackName}-sync"),
      dashboardBody: this.toJsonString(
        dashboardBody({
          region: Aws.REGION,
          functionName: fn.ref,
          queueName: queues.queue.attrQueueName,
          deadLetterQueueName: queues.deadLetterQueue.attrQueueName,
          alarmArns,
        }),
      ),
    });
  }

  private outputs(refs: OutputRefs): void {
    const { conditions: c, mappings: m } = this;
    // AWS CLI v2 reads --payload as base64 unless told otherwise.
    const invoke = (payload: string, file: string) =>
      Fn.sub(
        `aws lambda invoke --region \${AWS::Region} --function-name \${SyncLambdaFunction} --cli-binary-format raw-in-base64-out --payload '${payload}' ${file}`,
      );
    this.output("LambdaFunctionName", "Sync Lambda Function Name", refs.fn.ref);
    this.output(
      "LambdaExecutionRoleArn",
      "The sync function's role (grant it kms:Decrypt in the key policy of a KMS-encrypted source bucket or secret)",
      refs.role.attrArn,
    );
    this.output(
      "SecretsManagerSecretName",
      "Secrets Manager Secret Name (the target keys)",
      refs.secret.name,
    );
    this.output("EventBridgeRuleName", "EventBridge Rule Name", refs.route.rule.ref);
    this.output("QueueUrl", "Sync queue (events, continuations, backfill pages)", refs.queues.queue.ref);
    this.output(
      "DeadLetterQueueUrl",
      "Dead-letter queue: messages that failed RetryAttempts times",
      refs.queues.deadLetterQueue.ref,
    );
    this.output(
      "DeadLetterQueueArn",
      "Dead-letter queue ARN (source of a redrive)",
      refs.queues.deadLetterQueue.attrArn,
    );
    this.output(
      "SetupInfo",
      "Setup Information and Next Steps",
      Fn.sub(
        [
          "S3 cross-partition sync deployed.",
          "Source: ${SourceBucketName} (${SourceRegion}) -> Target: ${TargetBucketName} (${TargetRegion})",
          "Function: ${SyncLambdaFunction}; queue: ${SyncQueue.QueueName}; dead-letter queue: ${DeadLetterQueue.QueueName}; rule: ${S3EventRule}",
          "Prefix filter: '${S3PrefixFilter}'; size category: ${MaxFileSizeCategory}; retry attempts: ${RetryAttempts}; sync deletes: ${SyncDeletes}; SNS notifications: ${EnableSNSNotification}",
          "EventBridge delivery on ${SourceBucketName} is on (the stack turned it on if it was off); the bucket's other event notifications are unchanged.",
          'Target keys: secret ${TargetSecretName}, JSON {"AccessKeyId": "...", "SecretAccessKey": "..."}. Deployed without TargetAccessKeyId? Put the keys there now (README.md: Rotating the target keys).',
          "The target keys need write access to ${TargetBucketName}: README.md, Target account permissions.",
          "New objects sync from now on; objects already in the bucket after a backfill (BackfillCommand).",
        ].join("\n"),
        { TargetSecretName: refs.secret.name },
      ),
    );
    this.output(
      "TestCommand",
      "Test sync function manually (copies one key now)",
      ifString(
        c.hasPrefixFilter.logicalId,
        invoke('{"test_key":"${S3PrefixFilter}test/sample.txt"}', "response.json"),
        invoke('{"test_key":"test/sample.txt"}', "response.json"),
      ),
    );
    this.output(
      "BackfillCommand",
      "Copy the objects already in the source bucket (queues them page by page; progress on the dashboard)",
      invoke('{"backfill":{"prefix":"${S3PrefixFilter}"}}', "backfill.json"),
    );
    this.output(
      "LambdaConfiguration",
      "Lambda Configuration Details",
      Fn.sub(
        [
          "Speed setting (MaxFileSizeCategory): ${MaxFileSizeCategory}; no object size limit",
          "Lambda memory: ${MemorySize} MB; /tmp: ${TmpSize} MB (unused: objects stream); timeout: ${TimeoutSeconds} s",
          "Queue visibility timeout: ${VisibilityTimeoutSeconds} s; dead-letter after ${RetryAttempts} receives; at most ${MaxConcurrency} concurrent invocations",
        ].join("\n"),
        {
          MemorySize: this.sizing("MemorySize"),
          TmpSize: this.sizing("TmpDirectorySize"),
          TimeoutSeconds: this.sizing("TimeoutSeconds"),
          VisibilityTimeoutSeconds: this.sizing("VisibilityTimeoutSeconds"),
        },
      ),
    );
    this.output(
      "DashboardName",
      "CloudWatch dashboard: objects, bytes, failures, replication lag, queues",
      refs.dashboard.ref,
    );
    this.output(
      "DashboardUrl",
      "CloudWatch dashboard in the console",
      Fn.sub(
        "https://${ConsoleHost}/cloudwatch/home?region=${AWS::Region}#dashboards:name=${SyncDashboard}",
        {
          ConsoleHost: m.partitionConfig.findInMap(Aws.PARTITION, "ConsoleHost"),
        },
      ),
    );
    this.output(
      "SNSTopicArn",
      "SNS Topic ARN for failure notifications",
      refs.topic.topic.ref,
      c.createSnsNotification,
    );
    this.output(
      "SNSSetupInfo",
      "SNS Notification Setup Information",
      Fn.sub(
        "SNS topic: ${FailureNotificationTopic}; e-mail: ${NotificationEmail}. Confirm the subscription from the e-mail AWS sent, or no notice arrives.",
      ),
      c.createSnsNotification,
    );
  }

  /** An alarm named after the stack (the topic policy admits exactly those), notifying the topic if there is one. */
  private alarm(
    topic: FailureTopic,
    id: string,
    name: string,
    props: Omit<CfnAlarmProps, "alarmName">,
  ): CfnAlarm {
    return new CfnAlarm(this, id, {
      alarmName: Fn.sub(`\${AWS::StackName}-${name}`),
      alarmActions: Fn.conditionIf(
        this.conditions.createSnsNotification.logicalId,
        [topic.topic.ref],
        Aws.NO_VALUE,
      ) as unknown as string[],
      treatMissingData: "notBreaching",
      ...props,
    });
  }

  private output(
    id: string,
    description: string,
    value: string,
    condition?: SyncConditions[keyof SyncConditions],
  ): void {
    // Construct IDs are shared with the parameters (an output may be named like one); logical IDs are not.
    const created = new CfnOutput(this, `Output${id}`, {
      description,
      value,
      ...(condition ? { condition } : {}),
    });
    created.overrideLogicalId(id);
  }

  /** A value of the chosen MaxFileSizeCategory's row in the sizing table. */
  private sizing(key: SizingKey): string {
    return this.mappings.fileSizeConfig.findInMap(this.parameters.maxFileSizeCategory.valueAsString, key);
  }

  /** An explicit policy for a stateful resource (logs outlive the stack; keys and queued work do not). */
  private deletionPolicy(resource: CfnResource, policy: CfnDeletionPolicy): void {
    resource.cfnOptions.deletionPolicy = policy;
    resource.cfnOptions.updateReplacePolicy = policy;
  }
}
