import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";

export interface FailureNotice {
  key: string;
  sourceBucket: string;
  sourceRegion: string;
  targetBucket: string;
  targetRegion: string;
  error: string;
  attempts: number;
  /** UTC, ISO 8601. */
  time: string;
}

/** SNS subjects must be ASCII and under 100 characters; keys may be neither, so they go in the body. */
export function noticeSubject(notice: FailureNotice): string {
  const subject = `S3 cross-partition sync failed: ${notice.sourceBucket} -> ${notice.targetBucket}`;
  return subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 99);
}

export function noticeMessage(notice: FailureNotice): string {
  return JSON.stringify({ event: "replication-failed", ...notice }, null, 2);
}

export async function publishFailure(sns: SNSClient, topicArn: string, notice: FailureNotice): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: noticeSubject(notice),
      Message: noticeMessage(notice),
    }),
  );
}
