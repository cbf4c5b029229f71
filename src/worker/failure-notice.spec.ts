import { describe, expect, it } from "vitest";
import { noticeMessage, noticeSubject } from "./failure-notice.js";

const notice = {
  key: "报告/年度 report+1.pdf",
  sourceBucket: "reports-cn",
  sourceRegion: "cn-north-1",
  targetBucket: "reports-global",
  targetRegion: "us-east-1",
  error: "access denied",
  attempts: 3,
  time: "2026-11-26T01:00:00.000Z",
};

describe("failure notice", () => {
  it("keeps the subject ASCII and short, as SNS requires", () => {
    const subject = noticeSubject({ ...notice, sourceBucket: "b".repeat(120) });
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it("carries every field in the body, the key unencoded", () => {
    expect(JSON.parse(noticeMessage(notice))).toEqual({ event: "replication-failed", ...notice });
  });
});
