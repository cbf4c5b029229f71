import { describe, expect, it } from "vitest";
import { ConfigError, loadHandlerConfig } from "./handler-config.js";

const base = {
  SOURCE_REGION: "cn-north-1",
  TARGET_REGION: "us-east-1",
  SOURCE_BUCKET: "src",
  TARGET_BUCKET: "dst",
  SECRETS_MANAGER_SECRET_NAME: "target-keys",
};

describe("loadHandlerConfig", () => {
  it("applies the original template's defaults", () => {
    const config = loadHandlerConfig(base);
    expect(config).toMatchObject({
      prefixFilter: "",
      retryAttempts: 3,
      notify: undefined,
      sizeCategory: "Under200MB",
      syncDeletes: false,
      engine: { attempts: 3, encryption: { kind: "none" } },
    });
  });

  it("reads every optional setting", () => {
    const config = loadHandlerConfig({
      ...base,
      S3_PREFIX_FILTER: "data/",
      RETRY_ATTEMPTS: "5",
      ENABLE_SNS_NOTIFICATION: "true",
      SNS_TOPIC_ARN: "arn:aws-cn:sns:cn-north-1:111122223333:alerts",
      MAX_RECEIVE_COUNT: "5",
      MAX_FILE_SIZE_CATEGORY: "2GB-10GB",
      SOURCE_ENDPOINT: "http://127.0.0.1:9000",
      SYNC_DELETES: "true",
      QUEUE_URL: "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q",
      TARGET_STORAGE_CLASS: "STANDARD_IA",
      TARGET_SSE: "aws:kms",
      TARGET_SSE_KMS_KEY_ID: "alias/k",
    });
    expect(config).toMatchObject({
      prefixFilter: "data/",
      retryAttempts: 5,
      notify: { topicArn: "arn:aws-cn:sns:cn-north-1:111122223333:alerts", maxReceiveCount: 5 },
      sizeCategory: "2GB-10GB",
      syncDeletes: true,
      engine: {
        concurrency: 32,
        storageClass: "STANDARD_IA",
        encryption: { kind: "sse-kms", keyId: "alias/k" },
      },
    });
  });

  it.each([
    [{ SOURCE_BUCKET: "" }, /SOURCE_BUCKET is required/],
    [{ TARGET_REGION: "global" }, /TARGET_REGION="global" is not an AWS region/],
    [{ RETRY_ATTEMPTS: "11" }, /RETRY_ATTEMPTS="11" must be a whole number from 2 to 10/],
    [{ MAX_RECEIVE_COUNT: "0" }, /MAX_RECEIVE_COUNT="0" must be a whole number from 1 to 1000/],
    [{ ENABLE_SNS_NOTIFICATION: "yes" }, /ENABLE_SNS_NOTIFICATION="yes" must be true or false/],
    [{ ENABLE_SNS_NOTIFICATION: "true" }, /SNS_TOPIC_ARN is required/],
    [{ MAX_FILE_SIZE_CATEGORY: "Huge" }, /MAX_FILE_SIZE_CATEGORY="Huge" must be one of/],
    // Names every object inherits are no category either.
    [{ MAX_FILE_SIZE_CATEGORY: "toString" }, /MAX_FILE_SIZE_CATEGORY="toString" must be one of/],
    [{ MAX_FILE_SIZE_CATEGORY: "__proto__" }, /MAX_FILE_SIZE_CATEGORY="__proto__" must be one of/],
    [{ MAX_FILE_SIZE_CATEGORY: "constructor" }, /MAX_FILE_SIZE_CATEGORY="constructor" must be one of/],
    [{ QUEUE_URL: "queue" }, /QUEUE_URL="queue" is not an http\(s\) URL/],
    [{ TARGET_SSE: "rot13" }, /TARGET_SSE="rot13"/],
  ])("names the variable that is wrong: %o", (override, message) => {
    expect(() => loadHandlerConfig({ ...base, ...override })).toThrow(ConfigError);
    expect(() => loadHandlerConfig({ ...base, ...override })).toThrow(message);
  });
});
