/**
 * Regions the stack offers for SourceRegion and TargetRegion: the commercial regions of the
 * `aws-cn` and `aws` partitions. The original template's values come first, in its order, so its
 * console form and commands keep working; either direction (China -> Global, Global -> China) is
 * a choice of two values from this list.
 */
export const CHINA_REGIONS = ["cn-northwest-1", "cn-north-1"] as const;

/** The target regions the original template allowed, in its order. */
export const ORIGINAL_GLOBAL_REGIONS = [
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
] as const;

/** Commercial `aws` regions opened since (opt-in regions among them must be enabled in the account). */
export const NEWER_GLOBAL_REGIONS = [
  "ap-east-2",
  "ap-south-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-west-1",
  "eu-central-2",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "mx-central-1",
] as const;

export const GLOBAL_REGIONS = [...ORIGINAL_GLOBAL_REGIONS, ...NEWER_GLOBAL_REGIONS] as const;

/** SourceRegion: China first, as in the original (its default is cn-northwest-1). */
export const SOURCE_REGION_VALUES: readonly string[] = [...CHINA_REGIONS, ...GLOBAL_REGIONS];

/** TargetRegion: Global first, as in the original (its default is us-west-2). */
export const TARGET_REGION_VALUES: readonly string[] = [...GLOBAL_REGIONS, ...CHINA_REGIONS];
