import type { OpenedSides } from "../aws/open-sides.js";
import type { EngineOptions } from "../engine/index.js";

/** Long-poll the stack's SQS queue (shared with the function). */
export interface QueueEvents {
  kind: "queue";
  queueUrl: string;
}

/** Receive S3 event notifications pushed over HTTP (MinIO's webhook target). */
export interface ListenEvents {
  kind: "listen";
  listen: { host: string; port: number };
  /** Where accepted events are kept until they are done. */
  journalDir: string;
  /** Attempts per event before it moves to the journal's failed/ directory. */
  maxAttempts: number;
  /** Events the journal holds at most (pending, waiting or running); beyond, senders get `503`. */
  journalMax: number;
}

/** Where watch's events come from. */
export type EventSource = QueueEvents | ListenEvents;

/** What `s3xsync watch` runs with: parsed, validated and opened by the CLI. */
export interface WatchSetup {
  /** Both sides, proven reachable. */
  sides: OpenedSides;
  engine: EngineOptions;
  /** Only keys under this prefix of the source bucket are synced (empty: all). */
  prefixFilter: string;
  /** A key gone from the source is deleted from the target. */
  syncDeletes: boolean;
  /** No status line. */
  quiet: boolean;
  events: EventSource;
}
