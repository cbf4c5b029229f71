import { Aws, CfnCondition, CfnMapping, CfnParameter, CfnRule, Fn, type Stack } from "aws-cdk-lib";
import { STORAGE_CLASSES } from "../src/engine/types.js";
import { SIZE_CATEGORIES } from "../src/lambda/size-categories.js";
import { SOURCE_REGION_VALUES, TARGET_REGION_VALUES } from "./regions.js";

/** CloudWatch Logs' allowed retention periods, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The original template's bucket-name constraint, kept as it was. */
const BUCKET_NAME_PATTERN = "^[a-z0-9][a-z0-9-]*[a-z0-9]$";

/**
 * The sizing table of the original template, kept as a mapping and keyed by MaxFileSizeCategory.
 * It is a speed setting, not a size limit: the handler streams every object (any size up to S3's
 * 5 TiB) through ranged reads and multipart uploads in any category, pausing before the deadline
 * and continuing in the next invocation. A larger category buys more parts in flight per
 * invocation and a longer timeout, so fewer continuations; memory and parts come from
 * src/lambda/size-categories.ts, where the measurement behind them is given. The handler writes
 * to /tmp only the parts a single-part source reads ahead of its ordered MD5, up to 256 MiB per
 * object (parts past the room there are read again), so ephemeral storage stays at Lambda's free
 * 512 MB in every category. The queue's visibility timeout is six times the function timeout, as
 * AWS recommends for SQS event sources (room for Lambda's own retries of a throttled batch).
 */
export const FILE_SIZE_CONFIG = {
  Under200MB: {
    MemorySize: SIZE_CATEGORIES.Under200MB.memoryMb,
    TmpDirectorySize: 512,
    TimeoutSeconds: 180,
    VisibilityTimeoutSeconds: 1080,
  },
  "200MB-2GB": {
    MemorySize: SIZE_CATEGORIES["200MB-2GB"].memoryMb,
    TmpDirectorySize: 512,
    TimeoutSeconds: 600,
    VisibilityTimeoutSeconds: 3600,
  },
  "2GB-10GB": {
    MemorySize: SIZE_CATEGORIES["2GB-10GB"].memoryMb,
    TmpDirectorySize: 512,
    TimeoutSeconds: 900,
    VisibilityTimeoutSeconds: 5400,
  },
} as const;

/** Console hosts per partition, for the dashboard link in the outputs. */
export const PARTITION_CONFIG = {
  aws: { ConsoleHost: "console.aws.amazon.com" },
  "aws-cn": { ConsoleHost: "console.amazonaws.cn" },
  "aws-us-gov": { ConsoleHost: "console.amazonaws-us-gov.com" },
} as const;

export interface SyncParameters {
  sourceRegion: CfnParameter;
  sourceBucketName: CfnParameter;
  targetRegion: CfnParameter;
  targetBucketName: CfnParameter;
  targetAccessKeyId: CfnParameter;
  targetSecretAccessKey: CfnParameter;
  secretsManagerSecretName: CfnParameter;
  existingSecretName: CfnParameter;
  maxFileSizeCategory: CfnParameter;
  s3PrefixFilter: CfnParameter;
  retryAttempts: CfnParameter;
  syncDeletes: CfnParameter;
  targetStorageClass: CfnParameter;
  targetEncryption: CfnParameter;
  targetKmsKeyId: CfnParameter;
  maxConcurrency: CfnParameter;
  enableSnsNotification: CfnParameter;
  notificationEmail: CfnParameter;
  logRetentionDays: CfnParameter;
}

export interface SyncConditions {
  createSnsNotification: CfnCondition;
  createSecret: CfnCondition;
  hasPrefixFilter: CfnCondition;
  syncDeletesEnabled: CfnCondition;
}

export interface SyncMappings {
  fileSizeConfig: CfnMapping;
  partitionConfig: CfnMapping;
}

/** The parameters, in the order of the console form. */
function defineParameters(stack: Stack): SyncParameters {
  const p = (id: string, props: ConstructorParameters<typeof CfnParameter>[2]) =>
    new CfnParameter(stack, id, props);
  return {
    // Buckets and regions (the original template's names, types and defaults).
    sourceRegion: p("SourceRegion", {
      type: "String",
      default: "cn-northwest-1",
      description:
        "Region of the source bucket, AWS China (cn-*) or AWS Global. Deploy the stack in this region: S3 delivers the bucket's events to EventBridge there.",
      allowedValues: [...SOURCE_REGION_VALUES],
    }),
    sourceBucketName: p("SourceBucketName", {
      type: "String",
      description:
        "Existing source bucket, in this account and region. The stack turns on its EventBridge delivery and keeps its other event notifications.",
      minLength: 3,
      maxLength: 63,
      allowedPattern: BUCKET_NAME_PATTERN,
      constraintDescription:
        "3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
    }),
    targetRegion: p("TargetRegion", {
      type: "String",
      default: "us-west-2",
      description: "Region of the target bucket, usually in the other partition (AWS Global or AWS China).",
      allowedValues: [...TARGET_REGION_VALUES],
    }),
    targetBucketName: p("TargetBucketName", {
      type: "String",
      description: "Existing target bucket, written with the keys in the Secrets Manager secret.",
      minLength: 3,
      maxLength: 63,
      allowedPattern: BUCKET_NAME_PATTERN,
      constraintDescription:
        "3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
    }),
    // Target credentials.
    targetAccessKeyId: p("TargetAccessKeyId", {
      type: "String",
      noEcho: true,
      default: "",
      description:
        "Access key ID of an IAM user of the target account that may write the target bucket; stored in the secret. Empty: put the keys into the secret after deploying, or name an existing secret in ExistingSecretName.",
      maxLength: 128,
      allowedPattern: "^$|^[A-Za-z0-9_]{16,128}$",
      constraintDescription: "Empty, or an access key ID (16-128 letters and digits).",
    }),
    targetSecretAccessKey: p("TargetSecretAccessKey", {
      type: "String",
      noEcho: true,
      default: "",
      description:
        "Secret access key for TargetAccessKeyId; stored in the secret. Empty together with TargetAccessKeyId.",
      maxLength: 128,
      allowedPattern: "^[A-Za-z0-9/+=]*$",
      constraintDescription: "Empty, or a secret access key (letters, digits, /, + and =).",
    }),
    secretsManagerSecretName: p("SecretsManagerSecretName", {
      type: "String",
      default: "s3-cross-partition-sync-credentials",
      description:
        'Name of the secret the stack creates for the target keys, JSON {"AccessKeyId": "...", "SecretAccessKey": "..."}. Not used when ExistingSecretName is set.',
      minLength: 1,
      maxLength: 512,
    }),
    existingSecretName: p("ExistingSecretName", {
      type: "String",
      default: "",
      description:
        'Name of an existing secret in this account and region holding the target keys as {"AccessKeyId": "...", "SecretAccessKey": "..."} (optionally "SessionToken"). When set, the stack creates no secret; leave the two key parameters empty.',
      maxLength: 512,
      allowedPattern: "^$|^[A-Za-z0-9/_+=.@-]+$",
      constraintDescription: "Empty, or a secret name (letters, digits and /_+=.@-), not an ARN.",
    }),
    // What is synced and how.
    s3PrefixFilter: p("S3PrefixFilter", {
      type: "String",
      default: "",
      description:
        'Only keys starting with this prefix are synced (e.g. "documents/", "images/2024/"). Leave empty to sync all objects. Applied in the EventBridge rule, the function\'s read permission and the function.',
      maxLength: 1024,
      allowedPattern: "^$|^[^/].*$",
      constraintDescription:
        'Must not start with "/": S3 keys have no leading slash, so "/documents/" would match nothing. Write "documents/".',
    }),
    syncDeletes: p("SyncDeletes", {
      type: "String",
      default: "false",
      description:
        "true: objects deleted in the source are deleted in the target too. false: the target keeps them.",
      allowedValues: ["true", "false"],
    }),
    targetStorageClass: p("TargetStorageClass", {
      type: "String",
      default: "STANDARD",
      description: "Storage class of the objects written to the target.",
      // The storage classes the engine accepts (the handler checks TARGET_STORAGE_CLASS against them).
      allowedValues: [...STORAGE_CLASSES],
    }),
    targetEncryption: p("TargetEncryption", {
      type: "String",
      default: "none",
      description:
        "Server-side encryption requested for the target objects. none: the target bucket's default encryption applies.",
      allowedValues: ["none", "AES256", "aws:kms"],
    }),
    targetKmsKeyId: p("TargetKmsKeyId", {
      type: "String",
      default: "",
      description:
        "KMS key ID or ARN in the target account, for TargetEncryption aws:kms. Empty: the target's AWS managed key for S3.",
      maxLength: 2048,
    }),
    // Speed and retries.
    maxFileSizeCategory: p("MaxFileSizeCategory", {
      type: "String",
      description:
        "Speed setting: Lambda memory, timeout and parts in flight per invocation (FileSizeConfig mapping). No category limits the object size; objects of any size up to 5 TiB are copied in every category.",
      allowedValues: ["Under200MB", "200MB-2GB", "2GB-10GB"],
      constraintDescription: "Must be Under200MB, 200MB-2GB or 2GB-10GB.",
    }),
    retryAttempts: p("RetryAttempts", {
      type: "Number",
      default: 3,
      minValue: 2,
      maxValue: 10,
      description:
        "Attempts per object and part within one invocation, and receives of a queue message before it moves to the dead-letter queue (2-10).",
      constraintDescription: "Must be between 2 and 10",
    }),
    maxConcurrency: p("MaxConcurrency", {
      type: "Number",
      default: 10,
      minValue: 2,
      maxValue: 1000,
      description:
        "Most function invocations running at once (maximum concurrency of the SQS event source). Reserves no account concurrency.",
      constraintDescription: "Must be between 2 and 1000",
    }),
    // Notifications and logs.
    enableSnsNotification: p("EnableSNSNotification", {
      type: "String",
      default: "false",
      description: "E-mail failure notices and alarms to NotificationEmail.",
      allowedValues: ["true", "false"],
    }),
    notificationEmail: p("NotificationEmail", {
      type: "String",
      default: "",
      description:
        "Email address for failure notifications and alarms (required if SNS is enabled). Confirm the subscription e-mail.",
      allowedPattern: "^$|^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
      constraintDescription: "Must be a valid email address or empty",
    }),
    logRetentionDays: p("LogRetentionDays", {
      type: "Number",
      // A string, like the allowed values: CloudFormation compares parameter values as strings.
      default: "90",
      description: "Days the function's logs (and the custom resource's) are kept.",
      allowedValues: LOG_RETENTION_DAYS.map(String),
    }),
  };
}

function defineConditions(stack: Stack, p: SyncParameters): SyncConditions {
  return {
    createSnsNotification: new CfnCondition(stack, "CreateSNSNotification", {
      expression: Fn.conditionEquals(p.enableSnsNotification.valueAsString, "true"),
    }),
    createSecret: new CfnCondition(stack, "CreateSecret", {
      expression: Fn.conditionEquals(p.existingSecretName.valueAsString, ""),
    }),
    hasPrefixFilter: new CfnCondition(stack, "HasPrefixFilter", {
      expression: Fn.conditionNot(Fn.conditionEquals(p.s3PrefixFilter.valueAsString, "")),
    }),
    syncDeletesEnabled: new CfnCondition(stack, "SyncDeletesEnabled", {
      expression: Fn.conditionEquals(p.syncDeletes.valueAsString, "true"),
    }),
  };
}

/** Checks across parameters, evaluated before CloudFormation creates or changes anything. */
function defineRules(stack: Stack, p: SyncParameters): void {
  const empty = (parameter: CfnParameter) => Fn.conditionEquals(parameter.valueAsString, "");
  new CfnRule(stack, "SourceRegionIsStackRegion", {
    assertions: [
      {
        assert: Fn.conditionEquals(p.sourceRegion.valueAsString, Aws.REGION),
        assertDescription:
          "SourceRegion must be the region the stack is deployed in: S3 sends the source bucket's events to EventBridge in the bucket's own region. Deploy with --region set to SourceRegion.",
      },
    ],
  });
  new CfnRule(stack, "NotificationEmailRequired", {
    ruleCondition: Fn.conditionEquals(p.enableSnsNotification.valueAsString, "true"),
    assertions: [
      {
        assert: Fn.conditionNot(empty(p.notificationEmail)),
        assertDescription: "EnableSNSNotification is true: NotificationEmail must be set.",
      },
    ],
  });
  new CfnRule(stack, "TargetKeysComplete", {
    assertions: [
      {
        assert: Fn.conditionOr(
          Fn.conditionAnd(empty(p.targetAccessKeyId), empty(p.targetSecretAccessKey)),
          Fn.conditionAnd(
            Fn.conditionNot(empty(p.targetAccessKeyId)),
            Fn.conditionNot(empty(p.targetSecretAccessKey)),
          ),
        ),
        assertDescription: "Give TargetAccessKeyId and TargetSecretAccessKey together, or neither.",
      },
    ],
  });
  new CfnRule(stack, "ExistingSecretExcludesKeys", {
    ruleCondition: Fn.conditionNot(empty(p.existingSecretName)),
    assertions: [
      {
        assert: Fn.conditionAnd(empty(p.targetAccessKeyId), empty(p.targetSecretAccessKey)),
        assertDescription:
          "ExistingSecretName is set: the keys are read from that secret, so leave TargetAccessKeyId and TargetSecretAccessKey empty.",
      },
    ],
  });
  new CfnRule(stack, "KmsKeyNeedsKmsEncryption", {
    ruleCondition: Fn.conditionNot(empty(p.targetKmsKeyId)),
    assertions: [
      {
        assert: Fn.conditionEquals(p.targetEncryption.valueAsString, "aws:kms"),
        assertDescription: "TargetKmsKeyId is set: TargetEncryption must be aws:kms.",
      },
    ],
  });
  new CfnRule(stack, "DistinctSourceAndTarget", {
    assertions: [
      {
        assert: Fn.conditionNot(
          Fn.conditionAnd(
            Fn.conditionEquals(p.sourceBucketName.valueAsString, p.targetBucketName.valueAsString),
            Fn.conditionEquals(p.sourceRegion.valueAsString, p.targetRegion.valueAsString),
          ),
        ),
        assertDescription: "The source and the target are the same bucket.",
      },
    ],
  });
}

function defineMappings(stack: Stack): SyncMappings {
  return {
    fileSizeConfig: new CfnMapping(stack, "FileSizeConfig", {
      mapping: FILE_SIZE_CONFIG as unknown as Record<string, Record<string, number>>,
    }),
    partitionConfig: new CfnMapping(stack, "PartitionConfig", {
      mapping: PARTITION_CONFIG as unknown as Record<string, Record<string, string>>,
    }),
  };
}

/** Groups and labels for the console's parameter form. */
function defineInterface(stack: Stack, p: SyncParameters): void {
  const ids = (...parameters: CfnParameter[]) => parameters.map((parameter) => parameter.node.id);
  const labels: [CfnParameter, string][] = [
    [p.sourceRegion, "Source Region (the stack's region)"],
    [p.sourceBucketName, "Source S3 Bucket Name"],
    [p.targetRegion, "Target Region"],
    [p.targetBucketName, "Target S3 Bucket Name"],
    [p.targetAccessKeyId, "Target Account Access Key ID"],
    [p.targetSecretAccessKey, "Target Account Secret Access Key"],
    [p.secretsManagerSecretName, "Secrets Manager Secret Name"],
    [p.existingSecretName, "Existing Secret Name (instead of the keys)"],
    [p.s3PrefixFilter, "S3 Prefix Filter (Optional)"],
    [p.syncDeletes, "Sync Deletions"],
    [p.targetStorageClass, "Target Storage Class"],
    [p.targetEncryption, "Target Server-Side Encryption"],
    [p.targetKmsKeyId, "Target KMS Key (for aws:kms)"],
    [p.maxFileSizeCategory, "Maximum File Size Category (speed setting)"],
    [p.retryAttempts, "Retry Attempts"],
    [p.maxConcurrency, "Maximum Concurrent Invocations"],
    [p.enableSnsNotification, "Enable SNS Email Notification"],
    [p.notificationEmail, "Notification Email Address"],
    [p.logRetentionDays, "Log Retention (days)"],
  ];
  stack.templateOptions.metadata = {
    "AWS::CloudFormation::Interface": {
      ParameterGroups: [
        {
          Label: { default: "Buckets and regions" },
          Parameters: ids(p.sourceRegion, p.sourceBucketName, p.targetRegion, p.targetBucketName),
        },
        {
          Label: { default: "Target credentials" },
          Parameters: ids(
            p.targetAccessKeyId,
            p.targetSecretAccessKey,
            p.secretsManagerSecretName,
            p.existingSecretName,
          ),
        },
        {
          Label: { default: "What is synced" },
          Parameters: ids(
            p.s3PrefixFilter,
            p.syncDeletes,
            p.targetStorageClass,
            p.targetEncryption,
            p.targetKmsKeyId,
          ),
        },
        {
          Label: { default: "Speed and retries" },
          Parameters: ids(p.maxFileSizeCategory, p.retryAttempts, p.maxConcurrency),
        },
        {
          Label: { default: "Notifications and logs" },
          Parameters: ids(p.enableSnsNotification, p.notificationEmail, p.logRetentionDays),
        },
      ],
      ParameterLabels: Object.fromEntries(
        labels.map(([parameter, label]) => [parameter.node.id, { default: label }]),
      ),
    },
  };
}

/** The template's inputs, as the stack's parts read them. */
export interface SyncInputs {
  parameters: SyncParameters;
  conditions: SyncConditions;
  mappings: SyncMappings;
}

export type SizingKey = keyof (typeof FILE_SIZE_CONFIG)[keyof typeof FILE_SIZE_CONFIG];

/** A value of the chosen MaxFileSizeCategory's row in the sizing table. */
export function sizing({ parameters, mappings }: SyncInputs, key: SizingKey): string {
  return mappings.fileSizeConfig.findInMap(parameters.maxFileSizeCategory.valueAsString, key);
}

export function defineInputs(stack: Stack): SyncInputs {
  const parameters = defineParameters(stack);
  const conditions = defineConditions(stack, parameters);
  const mappings = defineMappings(stack);
  defineRules(stack, parameters);
  defineInterface(stack, parameters);
  return { parameters, conditions, mappings };
}
