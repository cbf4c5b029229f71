// The original s3-cross-account-sync-minimal-template.yaml that users adopted (the AWS China ->
// Global sample), transcribed: its parameters and the commands its README told them to run. Our
// template must accept every one of these unchanged.
//
// A fixed reference, not a copy of the code: where infra/ holds the same values (the original's
// regions in infra/regions.ts, its bucket-name pattern in infra/parameters.ts), the tests compare
// the template against these, so a change in infra/ that breaks compatibility fails. Never import
// them from infra/.
import type { CfnParameterDefinition } from "./support.js";

const BUCKET_NAME = {
  Type: "String",
  MinLength: 3,
  MaxLength: 63,
  AllowedPattern: "^[a-z0-9][a-z0-9-]*[a-z0-9]$",
} as const;

export const ORIGINAL_PARAMETERS: Record<string, CfnParameterDefinition> = {
  SourceRegion: {
    Type: "String",
    Default: "cn-northwest-1",
    AllowedValues: ["cn-northwest-1", "cn-north-1"],
  },
  SourceBucketName: { ...BUCKET_NAME },
  TargetRegion: {
    Type: "String",
    Default: "us-west-2",
    AllowedValues: [
      "us-east-1",
      "us-east-2",
      "us-west-1",
      "us-west-2",
      "eu-west-1",
      "eu-west-2",
      "eu-west-3",
      "eu-central-1",
      "eu-north-1",
      "eu-south-1",
      "ap-southeast-1",
      "ap-southeast-2",
      "ap-northeast-1",
      "ap-northeast-2",
      "ap-northeast-3",
      "ap-south-1",
      "ap-east-1",
      "ca-central-1",
      "sa-east-1",
      "af-south-1",
      "me-south-1",
    ],
  },
  TargetBucketName: { ...BUCKET_NAME },
  TargetAccessKeyId: { Type: "String", MinLength: 16, MaxLength: 128, NoEcho: true },
  TargetSecretAccessKey: { Type: "String", MinLength: 1, NoEcho: true },
  SecretsManagerSecretName: {
    Type: "String",
    Default: "s3-cross-partition-sync-credentials",
    MinLength: 1,
    MaxLength: 512,
  },
  MaxFileSizeCategory: { Type: "String", AllowedValues: ["Under200MB", "200MB-2GB", "2GB-10GB"] },
  S3PrefixFilter: { Type: "String", Default: "", MaxLength: 1024 },
  RetryAttempts: { Type: "Number", Default: 3, MinValue: 2, MaxValue: 10 },
  EnableSNSNotification: { Type: "String", Default: "false", AllowedValues: ["true", "false"] },
  NotificationEmail: {
    Type: "String",
    Default: "",
    AllowedPattern: "^$|^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
  },
};

/** The original outputs, which keep their names. */
export const ORIGINAL_OUTPUTS = [
  "LambdaFunctionName",
  "SecretsManagerSecretName",
  "EventBridgeRuleName",
  "SetupInfo",
  "TestCommand",
  "LambdaConfiguration",
  "SNSTopicArn",
  "SNSSetupInfo",
];

/** The original README's quick-start commands: their parameters, exactly as given there. */
export const ORIGINAL_QUICK_START = {
  createStack: {
    SourceRegion: "cn-north-1",
    TargetRegion: "us-east-1",
    SourceBucketName: "my-source-bucket",
    TargetBucketName: "my-target-bucket",
    MaxFileSizeCategory: "Under200MB",
  },
  deploy: {
    SourceRegion: "cn-north-1",
    TargetRegion: "us-west-2",
    SourceBucketName: "source-bucket",
    TargetBucketName: "target-bucket",
    MaxFileSizeCategory: "200MB-2GB",
    S3PrefixFilter: "documents/",
    EnableSNSNotification: "true",
    NotificationEmail: "admin@example.com",
  },
} as const;
