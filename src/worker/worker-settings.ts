/** What the sync worker needs to know, whichever driver (Lambda, `s3xsync watch`) runs it. */
export interface WorkerSettings {
  sourceBucket: string;
  sourceRegion: string;
  targetBucket: string;
  targetRegion: string;
  /** Only keys under this prefix are synced (empty: all). */
  prefixFilter: string;
  /** A key gone from the source is deleted from the target. */
  syncDeletes: boolean;
  /** Where continuations and backfill pages are queued; without it copies never pause. */
  queueUrl?: string;
  /**
   * Publish one notice per failed object to this topic: on its message's last receive before the
   * dead-letter queue when `maxReceiveCount` is known, else on every failed receive.
   */
  notify?: { topicArn: string; maxReceiveCount?: number };
  /** Messages and objects handled at once. */
  concurrency: number;
}
