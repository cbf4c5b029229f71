import { describe, expect, it } from "vitest";
import { describeError, IntegrityError, isRetryable, PermanentError } from "./errors.js";
import { backoffDelay, RetriesExhaustedError, withRetries } from "./retry.js";

const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe("withRetries", () => {
  it("retries transient failures and reports the attempts", async () => {
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw sdkError("SlowDown", 503);
        return "ok";
      },
      { attempts: 5, baseDelayMs: 1 },
    );
    expect(result).toEqual({ value: "ok", attempts: 3 });
  });

  it("fails at once on a permanent error", async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw sdkError("AccessDenied", 403);
        },
        { attempts: 5, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    expect(calls).toBe(1);
  });

  it("gives up after the configured attempts", async () => {
    await expect(
      withRetries(
        async () => {
          throw new IntegrityError("part 1 differs");
        },
        { attempts: 2, baseDelayMs: 1 },
      ),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
  });

  it("keeps backoff within the exponential cap", () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = backoffDelay(attempt, 100, 5000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** attempt));
    }
  });
});

describe("error classification", () => {
  it("treats throttling, 5xx and resets as retryable", () => {
    expect(isRetryable(sdkError("SlowDown", 503))).toBe(true);
    expect(isRetryable(sdkError("InternalError", 500))).toBe(true);
    expect(isRetryable(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(sdkError("NoSuchKey", 404))).toBe(false);
    expect(isRetryable(new PermanentError("bad"))).toBe(false);
    // An answer that came with 200 but could not be parsed (cut off or garbled in transit).
    expect(isRetryable(sdkError("Error", 200))).toBe(true);
    // MinIO's "client closed request": the request's bytes stopped coming on the way.
    expect(isRetryable(sdkError("UnknownError", 499))).toBe(true);
  });

  it("describes errors in one line without a stack", () => {
    expect(describeError(sdkError("NoSuchBucket", 404))).toBe("bucket does not exist");
    expect(describeError(sdkError("NoSuchUpload", 404))).toMatch(/multipart upload is gone/);
    expect(describeError(sdkError("RequestTimeout", 400))).toMatch(/bytes stopped coming/);
    expect(isRetryable(sdkError("RequestTimeout", 400))).toBe(true);
    expect(describeError(sdkError("Weird", 418))).toBe("Weird (HTTP 418)");
    expect(describeError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toMatch(/unreachable/);
  });
});
