import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Outcome } from "../engine/index.js";
import { logger } from "./telemetry.js";
import type { WorkerSettings } from "./worker-settings.js";

export type FailedOutcome = Extract<Outcome, { status: "failed" }>;

interface Sides {
  sourceBucket: string;
  sourceRegion: string;
  targetBucket: string;
  targetRegion: string;
}

export interface FailureNotice extends Sides {
  key: string;
  error: string;
  /** Attempts within the invocation that gave up. */
  attempts: number;
  /** Receives of the object's message, the last one included; absent for a direct invocation. */
  receives?: number;
  /** UTC, ISO 8601. */
  time: string;
}

/** The target keys cannot be read: nothing syncs until the secret is fixed. */
export interface ConfigurationNotice extends Sides {
  secret: string;
  error: string;
  time: string;
}

/** SNS subjects must be ASCII and under 100 characters; keys may be neither, so they go in the body. */
function subject(what: string, sides: Sides): string {
  return `S3 cross-partition sync ${what}: ${sides.sourceBucket} -> ${sides.targetBucket}`
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 99);
}

export function noticeSubject(notice: FailureNotice): string {
  return subject("failed", notice);
}

export function noticeMessage(notice: FailureNotice): string {
  return JSON.stringify({ event: "replication-failed", ...notice }, null, 2);
}

function sides(settings: WorkerSettings): Sides {
  const { sourceBucket, sourceRegion, targetBucket, targetRegion } = settings;
  return { sourceBucket, sourceRegion, targetBucket, targetRegion };
}

/** Publishes; a notice that cannot be sent is logged, never fails the work it reports on. */
async function publish(sns: SNSClient, topicArn: string, Subject: string, Message: string, about: object) {
  await sns
    .send(new PublishCommand({ TopicArn: topicArn, Subject, Message }))
    .catch((error: unknown) => logger.error("notification", { ...about, error: String(error) }));
}

/** One notice per failed object, when the settings ask for notices. */
export async function announceFailures(
  sns: SNSClient,
  settings: WorkerSettings,
  failures: readonly FailedOutcome[],
  receives?: number,
): Promise<void> {
  const topicArn = settings.notify?.topicArn;
  if (!topicArn) return;
  for (const failed of failures) {
    const notice: FailureNotice = {
      key: failed.key,
      ...sides(settings),
      error: failed.error,
      attempts: failed.attempts,
      ...(receives === undefined ? {} : { receives }),
      time: new Date().toISOString(),
    };
    await publish(sns, topicArn, noticeSubject(notice), noticeMessage(notice), { key: failed.key });
  }
}

/** The one notice about unreadable target keys (the caller sends it once per cause). */
export async function announceConfigurationError(
  sns: SNSClient,
  settings: WorkerSettings,
  secret: string,
  error: string,
): Promise<void> {
  const topicArn = settings.notify?.topicArn;
  if (!topicArn) return;
  const notice: ConfigurationNotice = { secret, ...sides(settings), error, time: new Date().toISOString() };
  const message = {
    event: "configuration-error",
    ...notice,
    fix: 'Put {"AccessKeyId": "...", "SecretAccessKey": "..."} into the secret, then redrive the dead-letter queue (README.md, section "Fixing and redriving"). Messages still in the queue are retried on their own.',
  };
  await publish(
    sns,
    topicArn,
    subject("cannot read the target keys", notice),
    JSON.stringify(message, null, 2),
    {
      secret,
    },
  );
}
