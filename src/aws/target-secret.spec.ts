import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it, vi } from "vitest";
import { parseTargetSecret, readTargetSecret, SecretCredentialsCache } from "./target-secret.js";

/** A Secrets Manager that answers after a turn of the event loop and counts the calls. */
function countingSecrets(keys: () => string) {
  const fake = {
    calls: 0,
    async send() {
      fake.calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { SecretString: JSON.stringify({ AccessKeyId: keys(), SecretAccessKey: "SK" }) };
    },
  };
  return fake;
}

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

describe("readTargetSecret", () => {
  it("names the secret and the fix when a secret named without its ARN has no region to be looked up in", async () => {
    vi.stubEnv("AWS_REGION", "");
    vi.stubEnv("AWS_DEFAULT_REGION", "");
    vi.stubEnv("AWS_PROFILE", "");
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/s3xsync-spec-config");
    try {
      await expect(readTargetSecret("team/target-keys")).rejects.toThrow(
        "secret team/target-keys: no region to look it up in; name it by its ARN, or set AWS_REGION",
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("SecretCredentialsCache", () => {
  it("makes one GetSecretValue call for callers at the same time, and hands them the same keys", async () => {
    const secrets = countingSecrets(() => "AK1");
    const cache = new SecretCredentialsCache("s", secrets as unknown as SecretsManagerClient);
    const all = await Promise.all(Array.from({ length: 8 }, () => cache.current()));
    expect(secrets.calls).toBe(1);
    expect(new Set(all).size).toBe(1);
    await cache.current();
    expect(secrets.calls).toBe(1);
  });

  it("shares one refresh between callers at the same time; each hears that the keys changed", async () => {
    let keys = "AK1";
    const secrets = countingSecrets(() => keys);
    const cache = new SecretCredentialsCache("s", secrets as unknown as SecretsManagerClient);
    const before = await cache.current();
    keys = "AK2";
    const changed = await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(changed).toEqual([true, true, true]);
    expect(secrets.calls).toBe(2);
    const after = await cache.current();
    expect(after).not.toBe(before);
    expect(after.accessKeyId).toBe("AK2");
  });
});
