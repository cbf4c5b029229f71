// The template's inputs: parameters (the original's, kept compatible, and ours), conditions,
// rules, mappings and the console form.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SizingResults } from "../../bench/sizing-types.js";
import { FILE_SIZE_CONFIG, LOG_RETENTION_DAYS } from "../../infra/parameters.js";
import { STORAGE_CLASSES } from "../../src/engine/index.js";
import { SIZE_CATEGORIES } from "../../src/lambda/size-categories.js";
import { ORIGINAL_PARAMETERS } from "./original-template.js";
import { type CfnTemplate, type Deployment, deploymentProblems, synthTemplate } from "./support.js";

let template: CfnTemplate;

beforeAll(() => {
  template = synthTemplate();
});

/** The constraint fields of a parameter (its texts aside). */
function constraints(name: string) {
  const {
    Description: _d,
    ConstraintDescription: _c,
    ...rest
  } = template.Parameters[name] ?? { Type: "missing" };
  return rest;
}

const BUCKET_NAME = {
  Type: "String",
  MinLength: 3,
  MaxLength: 63,
  AllowedPattern: "^[a-z0-9][a-z0-9-]*[a-z0-9]$",
};

describe("parameters", () => {
  it("pins every parameter's type, default and allowed values", () => {
    const sourceRegions = template.Parameters.SourceRegion?.AllowedValues ?? [];
    const targetRegions = template.Parameters.TargetRegion?.AllowedValues ?? [];
    const pinned: Record<string, unknown> = {
      SourceRegion: { Type: "String", Default: "cn-northwest-1", AllowedValues: sourceRegions },
      SourceBucketName: BUCKET_NAME,
      TargetRegion: { Type: "String", Default: "us-west-2", AllowedValues: targetRegions },
      TargetBucketName: BUCKET_NAME,
      TargetAccessKeyId: {
        Type: "String",
        Default: "",
        NoEcho: true,
        MaxLength: 128,
        AllowedPattern: "^$|^[A-Za-z0-9_]{16,128}$",
      },
      TargetSecretAccessKey: {
        Type: "String",
        Default: "",
        NoEcho: true,
        MaxLength: 128,
        AllowedPattern: "^[A-Za-z0-9/+=]*$",
      },
      SecretsManagerSecretName: {
        Type: "String",
        Default: "s3-cross-partition-sync-credentials",
        MinLength: 1,
        MaxLength: 512,
      },
      ExistingSecretName: {
        Type: "String",
        Default: "",
        MaxLength: 512,
        AllowedPattern: "^$|^[A-Za-z0-9/_+=.@-]+$",
      },
      S3PrefixFilter: { Type: "String", Default: "", MaxLength: 1024, AllowedPattern: "^$|^[^/].*$" },
      SyncDeletes: { Type: "String", Default: "false", AllowedValues: ["true", "false"] },
      TargetStorageClass: { Type: "String", Default: "STANDARD", AllowedValues: [...STORAGE_CLASSES] },
      TargetEncryption: { Type: "String", Default: "none", AllowedValues: ["none", "AES256", "aws:kms"] },
      TargetKmsKeyId: { Type: "String", Default: "", MaxLength: 2048 },
      MaxFileSizeCategory: { Type: "String", AllowedValues: ["Under200MB", "200MB-2GB", "2GB-10GB"] },
      RetryAttempts: { Type: "Number", Default: 3, MinValue: 2, MaxValue: 10 },
      MaxConcurrency: { Type: "Number", Default: 10, MinValue: 2, MaxValue: 1000 },
      EnableSNSNotification: { Type: "String", Default: "false", AllowedValues: ["true", "false"] },
      NotificationEmail: {
        Type: "String",
        Default: "",
        AllowedPattern: "^$|^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
      },
      LogRetentionDays: { Type: "Number", Default: "90", AllowedValues: LOG_RETENTION_DAYS.map(String) },
    };
    expect(Object.keys(template.Parameters)).toEqual(Object.keys(pinned));
    for (const [name, expected] of Object.entries(pinned)) expect(constraints(name), name).toEqual(expected);
  });

  it("keeps every parameter of the original with its name, type, default and constraints", () => {
    // Deliberate, compatible differences: the target keys became optional (an existing secret, or
    // keys put into the secret after deploying, replace them), and the regions cover both
    // directions (a superset of the original's values). S3PrefixFilter refuses a leading "/", which
    // the original accepted and then matched nothing with.
    const optionalNow = new Set(["TargetAccessKeyId", "TargetSecretAccessKey"]);
    const stricterPattern = new Set(["S3PrefixFilter"]);
    for (const [name, original] of Object.entries(ORIGINAL_PARAMETERS)) {
      const ours = template.Parameters[name];
      expect(ours, name).toBeDefined();
      if (!ours) continue;
      expect(ours.Type, name).toBe(original.Type);
      expect(ours.NoEcho, name).toBe(original.NoEcho);
      if (optionalNow.has(name)) {
        expect(ours.Default, name).toBe("");
        continue;
      }
      expect(ours.Default, name).toEqual(original.Default);
      if (original.AllowedValues)
        expect(ours.AllowedValues, name).toEqual(expect.arrayContaining(original.AllowedValues));
      if (name !== "SourceRegion" && name !== "TargetRegion")
        expect(ours.AllowedValues, name).toEqual(original.AllowedValues);
      for (const field of ["AllowedPattern", "MinLength", "MaxLength", "MinValue", "MaxValue"] as const) {
        if (field === "AllowedPattern" && stricterPattern.has(name)) continue;
        expect(ours[field], `${name}.${field}`).toEqual(original[field]);
      }
    }
  });

  it("still accepts the original's target keys, and only real-looking keys", () => {
    const keyId = template.Parameters.TargetAccessKeyId;
    const secret = template.Parameters.TargetSecretAccessKey;
    const accepts = (definition: typeof keyId, value: string) =>
      new RegExp(`^(?:${definition?.AllowedPattern})$`).test(value) &&
      value.length <= (definition?.MaxLength ?? 0);
    expect(accepts(keyId, "AKIAIOSFODNN7EXAMPLE")).toBe(true);
    expect(accepts(keyId, "")).toBe(true);
    expect(accepts(keyId, "AKIA-short")).toBe(false);
    expect(accepts(secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toBe(true);
    expect(accepts(secret, 'has"quote')).toBe(false);
  });

  it("offers both partitions for either side, the original's values first", () => {
    const source = template.Parameters.SourceRegion?.AllowedValues ?? [];
    const target = template.Parameters.TargetRegion?.AllowedValues ?? [];
    const originalSource = ORIGINAL_PARAMETERS.SourceRegion?.AllowedValues ?? [];
    const originalTarget = ORIGINAL_PARAMETERS.TargetRegion?.AllowedValues ?? [];
    expect(source.slice(0, originalSource.length)).toEqual(originalSource);
    expect(target.slice(0, originalTarget.length)).toEqual(originalTarget);
    for (const region of [...originalSource, ...originalTarget]) {
      expect(source).toContain(region);
      expect(target).toContain(region);
    }
    expect(new Set(source)).toEqual(new Set(target));
    expect(new Set(source).size).toBe(source.length);
  });

  it("matches the handler's own lists (sizing categories, storage classes)", () => {
    expect(template.Parameters.MaxFileSizeCategory?.AllowedValues).toEqual(Object.keys(SIZE_CATEGORIES));
    expect(template.Parameters.TargetStorageClass?.AllowedValues).toEqual([...STORAGE_CLASSES]);
  });

  it("describes every parameter, groups it once and labels it in the console form", () => {
    const ui = (template.Metadata?.["AWS::CloudFormation::Interface"] ?? {}) as {
      ParameterGroups: { Label: { default: string }; Parameters: string[] }[];
      ParameterLabels: Record<string, { default: string }>;
    };
    const grouped = ui.ParameterGroups.flatMap((group) => group.Parameters);
    expect([...grouped].sort()).toEqual(Object.keys(template.Parameters).sort());
    expect(new Set(grouped).size).toBe(grouped.length);
    for (const [name, definition] of Object.entries(template.Parameters)) {
      expect(definition.Description, name).toMatch(/\S{3}/);
      expect(ui.ParameterLabels[name]?.default, name).toMatch(/\S/);
    }
    expect(ui.ParameterGroups.map((group) => group.Label.default)).toEqual([
      "Buckets and regions",
      "Target credentials",
      "What is synced",
      "Speed and retries",
      "Notifications and logs",
    ]);
  });

  it("says that the size category is a speed setting, not a size limit", () => {
    expect(template.Parameters.MaxFileSizeCategory?.Description).toMatch(/speed setting/i);
    expect(template.Parameters.MaxFileSizeCategory?.Description).toMatch(
      /no category limits the object size/i,
    );
  });
});

describe("conditions", () => {
  it("pins every condition", () => {
    expect(template.Conditions).toEqual({
      CreateSNSNotification: { "Fn::Equals": [{ Ref: "EnableSNSNotification" }, "true"] },
      CreateSecret: { "Fn::Equals": [{ Ref: "ExistingSecretName" }, ""] },
      HasPrefixFilter: { "Fn::Not": [{ "Fn::Equals": [{ Ref: "S3PrefixFilter" }, ""] }] },
      SyncDeletesEnabled: { "Fn::Equals": [{ Ref: "SyncDeletes" }, "true"] },
    });
  });
});

describe("mappings", () => {
  it("keeps the sizing table as FileSizeConfig, one entry per category", () => {
    // The values themselves are checked for soundness below.
    expect(template.Mappings?.FileSizeConfig).toEqual(FILE_SIZE_CONFIG);
    expect(Object.keys(FILE_SIZE_CONFIG)).toEqual(Object.keys(SIZE_CATEGORIES));
  });

  it("sizes every category soundly", () => {
    const measured = JSON.parse(
      readFileSync(new URL("../../bench/sizing-results.json", import.meta.url), "utf8"),
    ) as SizingResults;
    for (const [category, sizing] of Object.entries(FILE_SIZE_CONFIG)) {
      // The highest peak RSS measured with the category's parts in flight (npm run bench:sizing), with half again as headroom.
      const rss = measured.runs.filter((r) => r.parts.category === category).map((r) => r.peakRssBytes);
      expect(rss.length, category).toBeGreaterThan(0);
      expect(sizing.MemorySize * 1024 * 1024, category).toBeGreaterThanOrEqual(1.5 * Math.max(...rss));
      expect(sizing.TimeoutSeconds, category).toBeLessThanOrEqual(900);
      // AWS's advice for SQS event sources: visibility timeout at least six times the function timeout.
      expect(sizing.VisibilityTimeoutSeconds, category).toBe(6 * sizing.TimeoutSeconds);
      // The handler writes only parts read ahead of an ordered MD5 to /tmp, within the free 512 MB.
      expect(sizing.TmpDirectorySize, category).toBe(512);
    }
  });

  it("maps every partition to its console host", () => {
    expect(template.Mappings?.PartitionConfig).toEqual({
      aws: { ConsoleHost: "console.aws.amazon.com" },
      "aws-cn": { ConsoleHost: "console.amazonaws.cn" },
      "aws-us-gov": { ConsoleHost: "console.amazonaws-us-gov.com" },
    });
  });
});

describe("rules", () => {
  const base = {
    SourceRegion: "cn-north-1",
    TargetRegion: "us-east-1",
    SourceBucketName: "src-bucket",
    TargetBucketName: "dst-bucket",
    MaxFileSizeCategory: "Under200MB",
  };
  const problems = (parameters: Record<string, string>, region = "cn-north-1") =>
    deploymentProblems({ template, parameters, region } satisfies Deployment);

  it("accepts a plain deployment in the source region", () => {
    expect(problems(base)).toEqual([]);
  });

  it("requires the stack to be deployed in SourceRegion", () => {
    expect(problems(base, "cn-northwest-1").join()).toMatch(/^SourceRegionIsStackRegion/);
  });

  it("requires an e-mail address when notifications are on", () => {
    expect(problems({ ...base, EnableSNSNotification: "true" }).join()).toMatch(/NotificationEmailRequired/);
    expect(
      problems({ ...base, EnableSNSNotification: "true", NotificationEmail: "ops@example.com" }),
    ).toEqual([]);
  });

  it("takes both target keys or neither, and no keys with an existing secret", () => {
    const keys = {
      TargetAccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      TargetSecretAccessKey: "wJalrXUtnFEMI/K7MDENG",
    };
    expect(problems({ ...base, ...keys })).toEqual([]);
    expect(problems({ ...base, TargetAccessKeyId: keys.TargetAccessKeyId }).join()).toMatch(
      /TargetKeysComplete/,
    );
    expect(problems({ ...base, ExistingSecretName: "cn-keys" })).toEqual([]);
    expect(problems({ ...base, ...keys, ExistingSecretName: "cn-keys" }).join()).toMatch(
      /ExistingSecretExcludesKeys/,
    );
  });

  it("takes a KMS key only with aws:kms encryption", () => {
    expect(problems({ ...base, TargetKmsKeyId: "alias/target" }).join()).toMatch(/KmsKeyNeedsKmsEncryption/);
    expect(problems({ ...base, TargetKmsKeyId: "alias/target", TargetEncryption: "aws:kms" })).toEqual([]);
  });

  it("refuses a bucket synced onto itself", () => {
    const same = { ...base, TargetRegion: "cn-north-1", TargetBucketName: "src-bucket" };
    expect(problems(same).join()).toMatch(/DistinctSourceAndTarget/);
  });

  it("refuses a prefix with a leading slash, saying why; takes a plain prefix or none", () => {
    expect(problems({ ...base, S3PrefixFilter: "/documents/" }).join()).toMatch(/does not match/);
    expect(problems({ ...base, S3PrefixFilter: "/" }).join()).toMatch(/does not match/);
    for (const prefix of ["", "documents/", "报告/2026 q1/"])
      expect(problems({ ...base, S3PrefixFilter: prefix }), prefix).toEqual([]);
    expect(template.Parameters.S3PrefixFilter?.ConstraintDescription).toMatch(
      /no leading slash.*match nothing/,
    );
  });

  it("refuses values outside the constraints before any rule", () => {
    expect(problems({ ...base, RetryAttempts: "11" })).toEqual(["RetryAttempts above MaxValue"]);
    expect(problems({ ...base, MaxFileSizeCategory: "50GB" })).toEqual([
      "MaxFileSizeCategory=50GB is not one of its AllowedValues",
    ]);
    expect(problems({ ...base, SourceBucketName: "Bad_Bucket" }).join()).toMatch(/does not match/);
    const { MaxFileSizeCategory: _omitted, ...withoutCategory } = base;
    expect(problems(withoutCategory)).toEqual(["MaxFileSizeCategory is required"]);
  });
});
