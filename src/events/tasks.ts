/**
 * What a driver asks of the sync: look at one key now and make the target match it, or list a
 * page of the source and queue its keys. Events only say where to look (level-triggered).
 */
export type SyncTask =
  | {
      kind: "object";
      key: string;
      /** When the event happened (ISO 8601), for replication lag; absent for backfill and tests. */
      eventTime?: string;
      /** How many invocations this object has already used (continuations). */
      continuation?: number;
    }
  | { kind: "backfill"; prefix: string; continuationToken?: string };

export type ObjectTask = Extract<SyncTask, { kind: "object" }>;
export type BackfillTask = Extract<SyncTask, { kind: "backfill" }>;

/** One queued message, whatever delivered it (Lambda's SQS event, `s3xsync watch`). */
export interface QueuedMessage {
  id: string;
  body: string;
  /** How often the queue has handed this message out, this time included (SQS ApproximateReceiveCount). */
  receiveCount?: number;
}

/** An event for another bucket, or S3's test event: acknowledged and logged, not failed. */
export interface SkippedEvent {
  key: string;
  bucket: string;
  reason: "other-bucket" | "test-event";
}

export interface ParsedEvents {
  tasks: SyncTask[];
  skipped: SkippedEvent[];
}

/** The body of the messages the handler queues for itself. */
export interface TaskMessage {
  s3xsyncTask: SyncTask;
}
