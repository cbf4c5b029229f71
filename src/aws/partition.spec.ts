import { describe, expect, it } from "vitest";
import { isRegion, partitionOf } from "./partition.js";

describe("partitionOf", () => {
  it("maps China regions to aws-cn and the rest to aws", () => {
    expect(partitionOf("cn-north-1")).toBe("aws-cn");
    expect(partitionOf("cn-northwest-1")).toBe("aws-cn");
    expect(partitionOf("us-east-1")).toBe("aws");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
  });

  it("recognises region names", () => {
    expect(isRegion("ap-southeast-1")).toBe(true);
    expect(isRegion("cn-north-1")).toBe(true);
    expect(isRegion("beijing")).toBe(false);
  });
});
