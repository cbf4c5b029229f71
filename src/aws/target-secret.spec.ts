import { describe, expect, it } from "vitest";
import { parseTargetSecret } from "./target-secret.js";

describe("parseTargetSecret", () => {
  it("reads keys and an optional session token", () => {
    expect(parseTargetSecret("s", '{"AccessKeyId":"AK","SecretAccessKey":"SK"}')).toEqual({
      accessKeyId: "AK",
      secretAccessKey: "SK",
    });
    expect(
      parseTargetSecret("s", '{"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"T"}'),
    ).toMatchObject({
      sessionToken: "T",
    });
  });

  it("names the missing field without printing values", () => {
    const attempt = () =>
      parseTargetSecret("my-secret", '{"AccessKeyId":"AKIA-VISIBLE","SecretAccessKey":""}');
    expect(attempt).toThrow(/my-secret: "SecretAccessKey" is missing/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain("AKIA-VISIBLE");
    }
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseTargetSecret("s", "AK:SK")).toThrow(/not JSON/);
  });
});
