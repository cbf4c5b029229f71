// The template's resources and outputs, pinned property by property, and what they become for
// concrete deployments (China -> Global and Global -> China) through a small evaluator.
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { OLDEST_MESSAGE_ALARM_SECONDS } from "../../infra/alarms.js";
import { readNotificationHandler } from "../../infra/app.js";
import { MAX_RECEIVE_COUNT } from "../../infra/stack-parts.js";
import { loadHandlerConfig } from "../../src/lambda/handler-config.js";
import { SIZE_CATEGORIES } from "../../src/lambda/size-categories.js";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "../../src/worker/metric-names.js";
import { ORIGINAL_OUTPUTS } from "./original-template.js";
import {
  type CfnTemplate,
  type Deployment,
  deploy,
  FAKE_HANDLER_CODE,
  type Json,
  synthTemplate,
} from "./support.js";

let json: CfnTemplate;
let template: Template;

beforeAll(() => {
  json = synthTemplate();
  template = Template.fromJSON(json as unknown as Record<string, unknown>);
});

const CHINA_TO_GLOBAL = {
  SourceRegion: "cn-north-1",
  TargetRegion: "us-east-1",
  SourceBucketName: "reports-cn",
  TargetBucketName: "reports-global",
  MaxFileSizeCategory: "200MB-2GB",
};
const GLOBAL_TO_CHINA = {
  SourceRegion: "us-west-2",
  TargetRegion: "cn-northwest-1",
  SourceBucketName: "media-global",
  TargetBucketName: "media-cn",
  MaxFileSizeCategory: "2GB-10GB",
  S3PrefixFilter: "videos/",
  SyncDeletes: "true",
  EnableSNSNotification: "true",
  NotificationEmail: "ops@example.com",
  ExistingSecretName: "china-target-keys",
};

function deployed(parameters: Record<string, string>, region = parameters.SourceRegion as string) {
  return deploy({ template: json, parameters, region } satisfies Deployment);
}

function properties(view: ReturnType<typeof deployed>, id: string): Record<string, unknown> {
  const resource = view.resources[id];
  if (!resource) throw new Error(`resource ${id} is not created`);
  return resource.Properties;
}

/** Every string in a JSON value, with its path. */
function strings(value: unknown, path = ""): [string, string][] {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => strings(item, `${path}.${key}`));
  }
  return [];
}

describe("the template as a whole", () => {
  it("has exactly these resources", () => {
    const types = Object.fromEntries(
      Object.entries(json.Resources).map(([id, resource]) => [id, resource.Type]),
    );
    expect(types).toEqual({
      TargetAccountCredentials: "AWS::SecretsManager::Secret",
      FailureNotificationTopic: "AWS::SNS::Topic",
      FailureNotificationSubscription: "AWS::SNS::Subscription",
      FailureNotificationTopicPolicy: "AWS::SNS::TopicPolicy",
      DeadLetterQueue: "AWS::SQS::Queue",
      SyncQueue: "AWS::SQS::Queue",
      SyncFunctionLogGroup: "AWS::Logs::LogGroup",
      LambdaExecutionRole: "AWS::IAM::Role",
      SyncLambdaFunction: "AWS::Lambda::Function",
      SyncQueueEventSource: "AWS::Lambda::EventSourceMapping",
      S3EventRule: "AWS::Events::Rule",
      SyncQueuePolicy: "AWS::SQS::QueuePolicy",
      DeadLetterQueuePolicy: "AWS::SQS::QueuePolicy",
      EventBridgeNotificationLogGroup: "AWS::Logs::LogGroup",
      EventBridgeNotificationRole: "AWS::IAM::Role",
      EventBridgeNotificationFunction: "AWS::Lambda::Function",
      SourceBucketEventBridgeNotification: "Custom::S3EventBridgeNotification",
      DeadLetterQueueAlarm: "AWS::CloudWatch::Alarm",
      FunctionErrorsAlarm: "AWS::CloudWatch::Alarm",
      OldestMessageAgeAlarm: "AWS::CloudWatch::Alarm",
      ConfigurationErrorsAlarm: "AWS::CloudWatch::Alarm",
      SyncDashboard: "AWS::CloudWatch::Dashboard",
    });
  });

  it("needs no CDK bootstrap and carries no CDK bookkeeping", () => {
    expect(json.Parameters).not.toHaveProperty("BootstrapVersion");
    expect(json.Rules ?? {}).not.toHaveProperty("CheckBootstrapVersion");
    expect(json.Resources).not.toHaveProperty("CDKMetadata");
    expect(JSON.stringify(json)).not.toMatch(/aws:cdk:|cdk-hnb659fds|AssetParameters/);
    expect(json.AWSTemplateFormatVersion).toBe("2010-09-09");
    expect(json.Description).toMatch(/^S3 Cross-Partition Sync \d+\.\d+\.\d+/);
  });

  it("is partition-agnostic: no ARN, service host or console host is written for one partition", () => {
    for (const [path, text] of strings({ ...json, Resources: json.Resources, Mappings: {} })) {
      expect(text, path).not.toMatch(/arn:aws(-cn|-us-gov)?:/);
      expect(text, path).not.toMatch(/amazonaws\.com\.cn/);
    }
    // The only service principals are the global ones, valid in every partition.
    const principals = strings(json.Resources).filter(([path]) => /Principal\.Service/.test(path));
    expect(new Set(principals.map(([, text]) => text))).toEqual(
      new Set(["lambda.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"]),
    );
  });

  it("grants nothing on '*', attaches no managed policies, and names no role", () => {
    for (const resource of Object.values(json.Resources)) {
      if (resource.Type !== "AWS::IAM::Role") continue;
      expect(resource.Properties).not.toHaveProperty("ManagedPolicyArns");
      expect(resource.Properties).not.toHaveProperty("RoleName");
    }
    for (const parameters of [CHINA_TO_GLOBAL, GLOBAL_TO_CHINA]) {
      const granted = strings(deployed(parameters).resources).filter(([path]) =>
        /Statement\[\d+\]\.Resource(\[\d+\])?$/.test(path),
      );
      expect(granted.length).toBeGreaterThan(5);
      for (const [path, text] of granted)
        expect(text, path).not.toMatch(/^\*$|:\*$|^arn:[^:]+:[^:]+:[^:]*:[^:]*:\*/);
    }
  });

  it("keeps the original outputs and adds the backfill command", () => {
    for (const name of [
      ...ORIGINAL_OUTPUTS,
      "BackfillCommand",
      "QueueUrl",
      "DeadLetterQueueUrl",
      "DashboardUrl",
    ]) {
      expect(json.Outputs, name).toHaveProperty(name);
    }
  });
});

describe("the sync function", () => {
  it("runs the handler bundle inline on nodejs22.x, sized by the category", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Architectures: ["x86_64"],
      Code: { ZipFile: FAKE_HANDLER_CODE },
      Role: { "Fn::GetAtt": ["LambdaExecutionRole", "Arn"] },
      Timeout: { "Fn::FindInMap": ["FileSizeConfig", { Ref: "MaxFileSizeCategory" }, "TimeoutSeconds"] },
      MemorySize: { "Fn::FindInMap": ["FileSizeConfig", { Ref: "MaxFileSizeCategory" }, "MemorySize"] },
      EphemeralStorage: {
        Size: { "Fn::FindInMap": ["FileSizeConfig", { Ref: "MaxFileSizeCategory" }, "TmpDirectorySize"] },
      },
      LoggingConfig: { LogGroup: { Ref: "SyncFunctionLogGroup" } },
    });
    // Named after the stack, so its log group is where the console and `aws logs tail` look.
    expect(properties(deployed(CHINA_TO_GLOBAL), "SyncLambdaFunction").FunctionName).toBe(
      "s3-cross-partition-sync-sync",
    );
    expect(json.Resources.SyncLambdaFunction?.Properties).not.toHaveProperty("ReservedConcurrentExecutions");
  });

  it("gets exactly the environment the handler reads", () => {
    const variables = (
      (json.Resources.SyncLambdaFunction?.Properties?.Environment ?? {}) as {
        Variables: Record<string, Json>;
      }
    ).Variables;
    expect(variables).toEqual({
      SOURCE_REGION: { Ref: "SourceRegion" },
      TARGET_REGION: { Ref: "TargetRegion" },
      SOURCE_BUCKET: { Ref: "SourceBucketName" },
      TARGET_BUCKET: { Ref: "TargetBucketName" },
      SECRETS_MANAGER_SECRET_NAME: {
        "Fn::If": ["CreateSecret", { Ref: "SecretsManagerSecretName" }, { Ref: "ExistingSecretName" }],
      },
      S3_PREFIX_FILTER: { Ref: "S3PrefixFilter" },
      RETRY_ATTEMPTS: { Ref: "RetryAttempts" },
      MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
      ENABLE_SNS_NOTIFICATION: { Ref: "EnableSNSNotification" },
      SNS_TOPIC_ARN: { "Fn::If": ["CreateSNSNotification", { Ref: "FailureNotificationTopic" }, ""] },
      MAX_FILE_SIZE_CATEGORY: { Ref: "MaxFileSizeCategory" },
      SYNC_DELETES: { Ref: "SyncDeletes" },
      QUEUE_URL: { Ref: "SyncQueue" },
      TARGET_STORAGE_CLASS: { Ref: "TargetStorageClass" },
      TARGET_SSE: { Ref: "TargetEncryption" },
      TARGET_SSE_KMS_KEY_ID: { Ref: "TargetKmsKeyId" },
    });
  });

  it("deploys an environment the handler accepts, in both directions", () => {
    for (const parameters of [CHINA_TO_GLOBAL, GLOBAL_TO_CHINA]) {
      const env = (
        properties(deployed(parameters), "SyncLambdaFunction").Environment as {
          Variables: Record<string, string>;
        }
      ).Variables;
      // The queue URL is a placeholder until deployment; give it a real shape.
      const config = loadHandlerConfig({ ...env, QUEUE_URL: "https://sqs.example.com/1/q" });
      expect(config.sourceBucket).toBe(parameters.SourceBucketName);
      expect(config.targetRegion).toBe(parameters.TargetRegion);
      expect(config.sizeCategory).toBe(parameters.MaxFileSizeCategory);
      expect(config.retryAttempts).toBe(3);
      expect(config.engine.storageClass).toBe("STANDARD");
      expect(config.engine.encryption).toEqual({ kind: "none" });
    }
    const china = (
      properties(deployed(GLOBAL_TO_CHINA), "SyncLambdaFunction").Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    expect(china).toMatchObject({
      SECRETS_MANAGER_SECRET_NAME: "china-target-keys",
      SNS_TOPIC_ARN: "{FailureNotificationTopic}",
      SYNC_DELETES: "true",
      S3_PREFIX_FILTER: "videos/",
    });
    const global = (
      properties(deployed(CHINA_TO_GLOBAL), "SyncLambdaFunction").Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    expect(global).toMatchObject({
      SECRETS_MANAGER_SECRET_NAME: "s3-cross-partition-sync-credentials",
      SNS_TOPIC_ARN: "",
    });
  });

  it("is fed by the queue with partial batch failures and bounded concurrency", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": ["SyncQueue", "Arn"] },
      FunctionName: { Ref: "SyncLambdaFunction" },
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: { Ref: "MaxConcurrency" } },
      Enabled: true,
    });
    expect(json.Resources.SyncQueueEventSource?.DependsOn).toEqual(["LambdaExecutionRole"]);
  });

  it("may do exactly what the handler does, on exactly its resources", () => {
    const role = properties(deployed(GLOBAL_TO_CHINA), "LambdaExecutionRole") as {
      Policies: { PolicyName: string; PolicyDocument: { Statement: unknown[] } }[];
      AssumeRolePolicyDocument: unknown;
    };
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    expect(role.Policies).toHaveLength(1);
    expect(role.Policies[0]?.PolicyName).toBe("S3CrossPartitionSyncPolicy");
    expect(role.Policies[0]?.PolicyDocument.Statement).toEqual([
      {
        Sid: "ReadSourceObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
        Resource: "arn:aws:s3:::media-global/videos/*",
      },
      {
        Sid: "ListSourceBucket",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::media-global",
      },
      {
        Sid: "ReadTargetKeys",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: "arn:aws:secretsmanager:us-west-2:111122223333:secret:china-target-keys-??????",
      },
      {
        Sid: "ConsumeAndQueueWork",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"],
        Resource: "{SyncQueue.Arn}",
      },
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "{SyncFunctionLogGroup.Arn}",
      },
      {
        Sid: "PublishFailures",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: "{FailureNotificationTopic}",
      },
    ]);
    const china = properties(deployed(CHINA_TO_GLOBAL), "LambdaExecutionRole") as typeof role;
    const statements = china.Policies[0]?.PolicyDocument.Statement as { Sid: string; Resource: string }[];
    expect(statements.map((statement) => statement.Sid)).not.toContain("PublishFailures");
    expect(statements.find((statement) => statement.Sid === "ReadSourceObjects")?.Resource).toBe(
      "arn:aws-cn:s3:::reports-cn/*",
    );
    expect(statements.find((statement) => statement.Sid === "ReadTargetKeys")?.Resource).toBe(
      "{TargetAccountCredentials}",
    );
  });

  it("logs to a retained log group with the chosen retention, the sync function's under its name", () => {
    const retained = { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" };
    expect(json.Resources.EventBridgeNotificationLogGroup).toEqual({
      Type: "AWS::Logs::LogGroup",
      Properties: { RetentionInDays: { Ref: "LogRetentionDays" } },
      ...retained,
    });
    expect(json.Resources.SyncFunctionLogGroup).toMatchObject({ Type: "AWS::Logs::LogGroup", ...retained });
    expect(properties(deployed(CHINA_TO_GLOBAL), "SyncFunctionLogGroup")).toEqual({
      LogGroupName: "/aws/lambda/s3-cross-partition-sync-sync",
      RetentionInDays: "90",
    });
  });
});

describe("the queues", () => {
  it("gives the work queue a timeout-aware visibility timeout and a dead-letter queue after 5 receives", () => {
    expect(json.Resources.SyncQueue).toEqual({
      Type: "AWS::SQS::Queue",
      Properties: {
        VisibilityTimeout: {
          "Fn::FindInMap": ["FileSizeConfig", { Ref: "MaxFileSizeCategory" }, "VisibilityTimeoutSeconds"],
        },
        MessageRetentionPeriod: 7 * 24 * 3600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] },
          maxReceiveCount: 5,
        },
      },
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
    });
    expect(json.Resources.DeadLetterQueue).toEqual({
      Type: "AWS::SQS::Queue",
      Properties: { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true },
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
    });
  });

  it("lets only the rule send to them, and only over TLS", () => {
    for (const [policy, queue] of [
      ["SyncQueuePolicy", "SyncQueue"],
      ["DeadLetterQueuePolicy", "DeadLetterQueue"],
    ] as const) {
      expect(json.Resources[policy]?.Properties).toEqual({
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowSourceBucketRule",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: { "Fn::GetAtt": [queue, "Arn"] },
              Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["S3EventRule", "Arn"] } } },
            },
            {
              Sid: "DenyWithoutTls",
              Effect: "Deny",
              Principal: "*",
              Action: "sqs:*",
              Resource: { "Fn::GetAtt": [queue, "Arn"] },
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        },
      });
    }
  });
});

describe("the EventBridge rule", () => {
  it("sends the source bucket's object events to the queue, with the dead-letter queue behind", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      State: "ENABLED",
      Targets: [
        {
          Id: "SyncQueue",
          Arn: { "Fn::GetAtt": ["SyncQueue", "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ],
    });
  });

  it("matches Object Created for the bucket, with no key filter by default", () => {
    expect(properties(deployed(CHINA_TO_GLOBAL), "S3EventRule").EventPattern).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["reports-cn"] } },
    });
  });

  it("adds Object Deleted with SyncDeletes and the key prefix in the pattern itself", () => {
    expect(properties(deployed(GLOBAL_TO_CHINA), "S3EventRule").EventPattern).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created", "Object Deleted"],
      detail: { bucket: { name: ["media-global"] }, object: { key: [{ prefix: "videos/" }] } },
    });
  });
});

describe("EventBridge delivery on the source bucket", () => {
  it("is turned on by a custom resource once the rule can deliver", () => {
    expect(json.Resources.SourceBucketEventBridgeNotification).toEqual({
      Type: "Custom::S3EventBridgeNotification",
      Properties: {
        ServiceToken: { "Fn::GetAtt": ["EventBridgeNotificationFunction", "Arn"] },
        ServiceTimeout: 300,
        BucketName: { Ref: "SourceBucketName" },
        ExpectedBucketOwner: { Ref: "AWS::AccountId" },
      },
      DependsOn: ["S3EventRule", "SyncQueuePolicy"],
    });
  });

  it("runs the inline custom resource code with its own, narrow role", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Code: { ZipFile: readNotificationHandler() },
      Role: { "Fn::GetAtt": ["EventBridgeNotificationRole", "Arn"] },
      Timeout: 120,
      MemorySize: 128,
      LoggingConfig: { LogGroup: { Ref: "EventBridgeNotificationLogGroup" } },
    });
    const role = properties(deployed(CHINA_TO_GLOBAL), "EventBridgeNotificationRole") as {
      Policies: { PolicyDocument: { Statement: unknown[] } }[];
    };
    expect(role.Policies[0]?.PolicyDocument.Statement).toEqual([
      {
        Sid: "MergeSourceBucketNotifications",
        Effect: "Allow",
        Action: ["s3:GetBucketNotification", "s3:PutBucketNotification"],
        Resource: "arn:aws-cn:s3:::reports-cn",
      },
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "{EventBridgeNotificationLogGroup.Arn}",
      },
    ]);
  });
});

describe("the target keys", () => {
  it("are stored in a secret named as before, unless an existing secret is named", () => {
    expect(json.Resources.TargetAccountCredentials).toMatchObject({
      Condition: "CreateSecret",
      DeletionPolicy: "Delete",
      Properties: {
        Name: { Ref: "SecretsManagerSecretName" },
        SecretString: {
          "Fn::Sub": '{"AccessKeyId":"${TargetAccessKeyId}","SecretAccessKey":"${TargetSecretAccessKey}"}',
        },
      },
    });
    const keys = {
      TargetAccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      TargetSecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
    };
    const secret = properties(deployed({ ...CHINA_TO_GLOBAL, ...keys }), "TargetAccountCredentials");
    expect(JSON.parse(secret.SecretString as string)).toEqual({
      AccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
    });
    expect(deployed(GLOBAL_TO_CHINA).resources).not.toHaveProperty("TargetAccountCredentials");
  });
});

describe("notifications and alarms", () => {
  it("creates the topic, its e-mail subscription and policy only when notifications are on", () => {
    for (const id of [
      "FailureNotificationTopic",
      "FailureNotificationSubscription",
      "FailureNotificationTopicPolicy",
    ]) {
      expect(json.Resources[id]?.Condition, id).toBe("CreateSNSNotification");
    }
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: { Ref: "NotificationEmail" },
      TopicArn: { Ref: "FailureNotificationTopic" },
    });
    expect(Object.keys(deployed(CHINA_TO_GLOBAL).resources)).not.toContain("FailureNotificationTopic");
    expect(Object.keys(deployed(GLOBAL_TO_CHINA).resources)).toContain("FailureNotificationSubscription");
  });

  it("lets this stack's alarms publish, and nobody without TLS", () => {
    const policy = properties(deployed(GLOBAL_TO_CHINA), "FailureNotificationTopicPolicy") as {
      PolicyDocument: { Statement: unknown[] };
    };
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Sid: "AllowThisStacksAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: "{FailureNotificationTopic}",
        Condition: {
          ArnLike: {
            "aws:SourceArn": "arn:aws:cloudwatch:us-west-2:111122223333:alarm:s3-cross-partition-sync-*",
          },
          StringEquals: { "aws:SourceAccount": "111122223333" },
        },
      },
      {
        Sid: "DenyPublishWithoutTls",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: "{FailureNotificationTopic}",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("alarms on the dead-letter queue, function errors, the oldest message's age and configuration errors", () => {
    const alarms = Object.fromEntries(
      Object.entries(deployed(GLOBAL_TO_CHINA).resources)
        .filter(([, resource]) => resource.Type === "AWS::CloudWatch::Alarm")
        .map(([id, resource]) => {
          const { AlarmDescription, ...rest } = resource.Properties;
          expect(AlarmDescription, id).toMatch(/.{60,}/);
          return [id, rest];
        }),
    );
    const common = {
      AlarmActions: ["{FailureNotificationTopic}"],
      TreatMissingData: "notBreaching",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Period: 300,
    };
    expect(alarms).toEqual({
      DeadLetterQueueAlarm: {
        ...common,
        AlarmName: "s3-cross-partition-sync-dead-letter-queue-not-empty",
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: "{DeadLetterQueue.QueueName}" }],
        Statistic: "Maximum",
        EvaluationPeriods: 1,
        Threshold: 1,
      },
      FunctionErrorsAlarm: {
        ...common,
        AlarmName: "s3-cross-partition-sync-function-errors",
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [{ Name: "FunctionName", Value: "{SyncLambdaFunction}" }],
        Statistic: "Sum",
        EvaluationPeriods: 1,
        Threshold: 1,
      },
      OldestMessageAgeAlarm: {
        ...common,
        AlarmName: "s3-cross-partition-sync-queue-not-draining",
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: "{SyncQueue.QueueName}" }],
        Statistic: "Maximum",
        EvaluationPeriods: 3,
        Threshold: OLDEST_MESSAGE_ALARM_SECONDS,
      },
      ConfigurationErrorsAlarm: {
        ...common,
        AlarmName: "s3-cross-partition-sync-configuration-error",
        Namespace: METRIC_NAMESPACE,
        MetricName: METRIC.configurationErrors,
        Dimensions: [{ Name: "service", Value: SERVICE_NAME }],
        Statistic: "Sum",
        // Within 5 minutes of the first invocation that meets a broken secret.
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
      },
    });
    const quiet = deployed(CHINA_TO_GLOBAL).resources.DeadLetterQueueAlarm?.Properties ?? {};
    expect(quiet).not.toHaveProperty("AlarmActions");
  });

  it("shows objects, bytes, failures and replication lag on the dashboard", () => {
    const body = JSON.parse(
      properties(deployed(CHINA_TO_GLOBAL), "SyncDashboard").DashboardBody as string,
    ) as {
      widgets: { type: string; properties: { title: string; metrics?: unknown[][]; region?: string } }[];
    };
    const custom = body.widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .filter((metric) => metric[0] === METRIC_NAMESPACE);
    const names = new Set(custom.map((metric) => metric[1]));
    expect(names).toEqual(new Set(Object.values(METRIC)));
    for (const metric of custom) expect(metric.slice(2, 4)).toEqual(["service", SERVICE_NAME]);
    for (const widget of body.widgets.filter((w) => w.type === "metric"))
      expect(widget.properties.region).toBe("cn-north-1");
    expect(body.widgets[0]?.properties).toMatchObject({ title: "Alarms" });
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: { "Fn::Sub": "${AWS::StackName}-sync" },
      DashboardBody: Match.anyValue(),
    });
  });
});

describe("outputs", () => {
  it("give the original test command, the backfill command and the dashboard", () => {
    const china = deployed(CHINA_TO_GLOBAL).outputs;
    expect(china.TestCommand).toBe(
      `aws lambda invoke --region cn-north-1 --function-name {SyncLambdaFunction} --cli-binary-format raw-in-base64-out --payload '{"test_key":"test/sample.txt"}' response.json`,
    );
    expect(china.BackfillCommand).toBe(
      `aws lambda invoke --region cn-north-1 --function-name {SyncLambdaFunction} --cli-binary-format raw-in-base64-out --payload '{"backfill":{"prefix":""}}' backfill.json`,
    );
    expect(china.DashboardUrl).toBe(
      "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name={SyncDashboard}",
    );
    expect(china).not.toHaveProperty("SNSTopicArn");
    const global = deployed(GLOBAL_TO_CHINA).outputs;
    expect(global.TestCommand).toContain(`--payload '{"test_key":"videos/test/sample.txt"}'`);
    expect(global.BackfillCommand).toContain(`--payload '{"backfill":{"prefix":"videos/"}}'`);
    expect(global.DashboardUrl).toMatch(
      /^https:\/\/console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-west-2#/,
    );
    expect(global.SNSTopicArn).toBe("{FailureNotificationTopic}");
    expect(global.SecretsManagerSecretName).toBe("china-target-keys");
  });

  it("keep the setup information and the sizing summary", () => {
    const outputs = deployed(CHINA_TO_GLOBAL).outputs;
    expect(outputs.SetupInfo).toContain(
      "Source: reports-cn (cn-north-1) -> Target: reports-global (us-east-1)",
    );
    expect(outputs.SetupInfo).toContain("secret s3-cross-partition-sync-credentials");
    expect(outputs.LambdaConfiguration).toContain(
      `Lambda memory: ${SIZE_CATEGORIES["200MB-2GB"].memoryMb} MB`,
    );
    expect(outputs.LambdaConfiguration).toContain(
      "Queue visibility timeout: 3600 s; attempts per part and object in one invocation: 3; dead-letter after 5 receives",
    );
    expect(outputs.LogGroupName).toBe("/aws/lambda/s3-cross-partition-sync-sync");
    expect(outputs.SetupInfo).toContain(
      "Logs: aws logs tail /aws/lambda/s3-cross-partition-sync-sync --follow --region cn-north-1",
    );
    for (const [name, value] of Object.entries(outputs)) expect(String(value), name).not.toMatch(/\$\{/);
  });
});
