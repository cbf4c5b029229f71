export type Partition = "aws" | "aws-cn" | "aws-us-gov";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function isRegion(value: string): boolean {
  return REGION.test(value);
}

/** The partition a region belongs to; its endpoints and ARNs follow from it. */
export function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
