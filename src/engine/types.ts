import type { S3Client } from "@aws-sdk/client-s3";

/** One side of a copy: a client already bound to its partition, endpoint and credentials. */
export interface BucketSide {
  client: S3Client;
  bucket: string;
}

export const STORAGE_CLASSES = [
  "STANDARD",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "GLACIER_IR",
  "DEEP_ARCHIVE",
  "REDUCED_REDUNDANCY",
] as const;

export type StorageClass = (typeof STORAGE_CLASSES)[number];

export type TargetEncryption = { kind: "none" } | { kind: "sse-s3" } | { kind: "sse-kms"; keyId?: string };

/**
 * A small object's copy is two requests and few bytes: its time is round trips, not bandwidth. Four
 * of them per part slot keep a link busy (600 objects of 16 KiB behind 50 ms of latency: 68 -> 198
 * objects/s), while each holds no more than a stream's buffers.
 */
export const WHOLE_OBJECTS_PER_PART_SLOT = 4;

/** Engine settings, validated by the driver before they reach here. */
export interface EngineOptions {
  /**
   * Parts in flight across all objects (where they start, with `adaptiveMax`); objects copied in
   * one PUT (at most `partSize`) may be WHOLE_OBJECTS_PER_PART_SLOT times as many.
   */
  concurrency: number;
  /** Adapt the parts in flight to the link, from `concurrency` up to this bound (memory). */
  adaptiveMax?: number;
  /** Part size for sources uploaded in one piece; also the single-PUT threshold. */
  partSize: number;
  /** Attempts per part (and per small object), including the first. */
  attempts: number;
  /**
   * A transfer with no byte moving for this long is aborted and sent again on a fresh connection,
   * as one attempt (the S3 clients' socket timeout is the same bound for every other request).
   */
  stallTimeoutMs: number;
  storageClass?: StorageClass;
  encryption: TargetEncryption;
}

export interface ReplicateTask {
  sourceKey: string;
  targetKey: string;
  /** The driver has just seen that the target lacks this source's content (sync listing). */
  targetKnownStale?: boolean;
  /**
   * The source's size as the driver last saw it. With `targetKnownStale`, an object small enough
   * for one PUT is read at once and its state taken from that GET: one HEAD less per object.
   */
  sourceSize?: number;
}

/**
 * How a copy was proven, strongest first:
 * - `etag`: the target's ETag equals the source's, which both servers derived from MD5s of the bytes.
 * - `md5`: the target checked the bytes against the source's MD5 (Content-MD5), or the MD5 of the
 *   streamed bytes equals the source's single-part ETag.
 * - `crc32`: the CRC32s of the parts read, each verified by the target, combine into the
 *   full-object CRC32 the source stores.
 * - `checksum`: the source offers no digest of its bytes (e.g. SSE-KMS); every part was checked in
 *   transit with a CRC32 the target verified.
 */
export type Evidence = "etag" | "md5" | "crc32" | "checksum";

export type Outcome =
  | {
      status: "copied";
      key: string;
      size: number;
      bytes: number;
      evidence: Evidence;
      /** How the copy departed from its usual path, where it did (a source that ignores ?partNumber=). */
      evidenceNote?: string;
      attempts: number;
    }
  | { status: "skipped"; key: string; size: number; reason: "same-content" | "source-missing" }
  | { status: "deleted"; key: string }
  /** Stopped starting parts when asked to (a deadline); the stored parts wait for the next run. */
  | { status: "paused"; key: string; size: number; bytes: number }
  | {
      status: "failed";
      key: string;
      error: string;
      attempts: number;
      /** The underlying error's name and HTTP status, for drivers that react to them. */
      errorName?: string;
      httpStatus?: number;
    };

/** How a driver steers one copy while it runs. */
export interface ReplicateControl {
  /** Asked before each part starts; false stops starting parts and pauses the copy. */
  shouldStartPart?: () => boolean;
  /**
   * The most a transfer starting now may wait for a byte, when less than the stall timeout (in
   * Lambda: the time left before the continuation margin).
   */
  stallBudgetMs?: () => number;
  /**
   * Aborted: the copy stops at once. Its transfers in flight are aborted, no part or attempt
   * starts, a multipart upload stays for a later run to resume (as after a crash), and the outcome
   * is `failed` with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Hears the bytes this copy moves: sent to the target, or read again to prove a stored part.
   * A driver's sign that the copy is alive (watch extends a message's visibility on it).
   */
  onProgress?: (bytes: number) => void;
}

export interface ProgressEvent {
  key: string;
  /**
   * Bytes of the object just moved to the target for the first time: a hedge's or a retry's
   * bytes count only past what another run of the same part already moved.
   */
  bytes: number;
}

/** Hooks a driver may pass in; the engine never prints. */
export interface EngineHooks {
  onProgress?: (event: ProgressEvent) => void;
  /** Called after each part is stored; tests use it to change the source mid-copy. */
  onPartStored?: (key: string, partNumber: number) => void | Promise<void>;
}
