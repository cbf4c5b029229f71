import {
  Aws,
  CfnCustomResource,
  CfnDeletionPolicy,
  type CfnResource,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  Token,
  Validations,
} from "aws-cdk-lib";
import { CfnRule } from "aws-cdk-lib/aws-events";
import { CfnRole } from "aws-cdk-lib/aws-iam";
import { CfnEventSourceMapping, CfnFunction } from "aws-cdk-lib/aws-lambda";
import { CfnLogGroup } from "aws-cdk-lib/aws-logs";
import { CfnSecret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnSubscription, CfnTopic, CfnTopicPolicy } from "aws-cdk-lib/aws-sns";
import { CfnQueue, CfnQueuePolicy } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { defineAlarms } from "./alarms.js";
import { defineDashboard } from "./dashboard.js";
import { ifString } from "./intrinsics.js";
import { defineOutputs } from "./outputs.js";
import { defineInputs, type SyncInputs, sizing } from "./parameters.js";
import {
  ASSUME_BY_LAMBDA,
  failureTopicPolicy,
  notificationFunctionPolicy,
  ruleToQueuePolicy,
  syncFunctionPolicy,
} from "./policies.js";
import {
  type EventRoute,
  type FailureTopic,
  MAX_RECEIVE_COUNT,
  SYNC_FUNCTION_NAME,
  SYNC_LOG_GROUP_NAME,
  type SyncQueues,
  type TargetSecret,
} from "./stack-parts.js";

/** Lambda runtime of both functions: the one the handler bundle is built for (README.md, The Lambda handler). */
export const RUNTIME = "nodejs22.x";

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

/**
 * The whole deployment in one stack: EventBridge rule -> SQS queue (+ dead-letter queue) -> the
 * sync function, the target keys in Secrets Manager, alarms, a dashboard, and a custom resource
 * that turns on EventBridge delivery for the existing source bucket. Plain CloudFormation
 * resources throughout (no CDK assets, no bootstrap), so the synthesized template is the product.
 */
export class SyncStack extends Stack {
  private readonly inputs: SyncInputs;

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
    this.inputs = defineInputs(this);

    const secret = this.targetSecret();
    const topic = this.failureTopic();
    const queues = this.queues();
    const { fn, role } = this.syncFunction(props, secret, topic, queues);
    const route = this.eventRule(queues);
    this.sourceBucketNotification(props.notificationHandlerCode, route);
    const alarmArns = defineAlarms(this, this.inputs, { topic, queues, fn });
    const dashboard = defineDashboard(this, { queues, fn, alarmArns });
    defineOutputs(this, this.inputs, { secret, topic, queues, fn, role, route, dashboard });
  }

  /** The target keys. */
  private targetSecret(): TargetSecret {
    const { parameters: p, conditions: c } = this.inputs;
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
    const { parameters: p, conditions: c } = this.inputs;
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
      policyDocument: failureTopicPolicy(topic.ref),
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
      visibilityTimeout: Token.asNumber(sizing(this.inputs, "VisibilityTimeoutSeconds")),
      messageRetentionPeriod: QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      redrivePolicy: {
        deadLetterTargetArn: deadLetterQueue.attrArn,
        maxReceiveCount: MAX_RECEIVE_COUNT,
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
  ): { fn: CfnFunction; role: CfnRole } {
    const { parameters: p, conditions: c } = this.inputs;
    const logGroup = new CfnLogGroup(this, "SyncFunctionLogGroup", {
      logGroupName: Fn.sub(SYNC_LOG_GROUP_NAME),
      retentionInDays: p.logRetentionDays.valueAsNumber,
    });
    this.deletionPolicy(logGroup, CfnDeletionPolicy.RETAIN);
    const role = new CfnRole(this, "LambdaExecutionRole", {
      description: "s3-cross-partition-sync function: reads the source bucket, the target keys and its queue",
      assumeRolePolicyDocument: ASSUME_BY_LAMBDA,
      policies: [
        {
          policyName: "S3CrossPartitionSyncPolicy",
          policyDocument: syncFunctionPolicy({
            secretArn: secret.arn,
            queueArn: queues.queue.attrArn,
            logGroupArn: logGroup.attrArn,
            topicArn: topic.topic.ref,
            topicCondition: c.createSnsNotification.logicalId,
          }),
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
      functionName: Fn.sub(SYNC_FUNCTION_NAME),
      description: `s3-cross-partition-sync ${props.version}: copies source objects to the target bucket in the other partition`,
      runtime: RUNTIME,
      architectures: ["x86_64"],
      handler: "index.handler",
      code: { zipFile: props.handlerCode },
      role: role.attrArn,
      timeout: Token.asNumber(sizing(this.inputs, "TimeoutSeconds")),
      memorySize: Token.asNumber(sizing(this.inputs, "MemorySize")),
      ephemeralStorage: { size: Token.asNumber(sizing(this.inputs, "TmpDirectorySize")) },
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
          MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
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
        "nodejs22.x is the runtime the handler bundle is built and tested for (README.md, The Lambda handler); moving to a newer runtime is a deliberate, tested change.",
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
    const { parameters: p, conditions: c } = this.inputs;
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
    const queuePolicy = new CfnQueuePolicy(this, "SyncQueuePolicy", {
      queues: [queues.queue.ref],
      policyDocument: ruleToQueuePolicy(queues.queue.attrArn, rule.attrArn),
    });
    new CfnQueuePolicy(this, "DeadLetterQueuePolicy", {
      queues: [queues.deadLetterQueue.ref],
      policyDocument: ruleToQueuePolicy(queues.deadLetterQueue.attrArn, rule.attrArn),
    });
    return { rule, queuePolicy };
  }

  /** EventBridge delivery on the existing source bucket (custom resource). */
  private sourceBucketNotification(code: string, route: EventRoute): void {
    const p = this.inputs.parameters;
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
          policyDocument: notificationFunctionPolicy(notificationLogGroup.attrArn),
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

  /** An explicit policy for a stateful resource (logs outlive the stack; keys and queued work do not). */
  private deletionPolicy(resource: CfnResource, policy: CfnDeletionPolicy): void {
    resource.cfnOptions.deletionPolicy = policy;
    resource.cfnOptions.updateReplacePolicy = policy;
  }
}
