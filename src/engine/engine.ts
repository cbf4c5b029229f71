import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describeError, errorName, httpStatusOf, SourceChangedError } from "./errors.js";
import { multipartPartCount } from "./etag.js";
import { type ListedObject, type ListedPage, listObjects, listPage } from "./list-objects.js";
import { copyInParts } from "./multipart-copy.js";
import { PartScheduler } from "./part-scheduler.js";
import { planParts } from "./plan-parts.js";
import { putWhole } from "./put-whole.js";
import { RetriesExhaustedError } from "./retry.js";
import { headSource, openSource, readSourceTagging } from "./source-state.js";
import {
  headTarget,
  holdsSameContent,
  markerNeedsSourceHead,
  targetAttributes,
} from "./target-attributes.js";
import type {
  BucketSide,
  EngineHooks,
  EngineOptions,
  Outcome,
  ReplicateControl,
  ReplicateTask,
} from "./types.js";

/** A source that keeps changing under the copy is given up on after this many fresh starts. */
const MAX_FRESH_STARTS = 4;

export interface EngineConfig {
  source: BucketSide;
  target: BucketSide;
  options: EngineOptions;
  hooks?: EngineHooks;
}

export interface Engine {
  /** Make the target key hold the source key's current bytes, metadata and tags, proven. */
  replicate(task: ReplicateTask, control?: ReplicateControl): Promise<Outcome>;
  /** Remove a target key (sync --delete, or a source deletion). */
  remove(targetKey: string): Promise<Outcome>;
  /** Every object under `prefix` on one side, in S3's key order, one listing page in memory at a time. */
  list(side: "source" | "target", prefix: string): AsyncGenerator<ListedObject>;
  /** One page of the source's objects under `prefix` (a backfill queues them page by page). */
  listSourcePage(prefix: string, token?: string): Promise<ListedPage>;
  /**
   * Whether the target key holds the content of this listed source object: one HEAD of the target,
   * and one of the source where only our marker vouches for the copy.
   */
  targetHolds(source: ListedObject, targetKey: string): Promise<boolean>;
}

function failure(key: string, error: unknown): Outcome {
  const cause = error instanceof RetriesExhaustedError ? error.lastError : error;
  // A metadata request's retries happen inside the SDK, which counts them in $metadata.attempts.
  const sdkAttempts = (cause as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
  const tries = error instanceof RetriesExhaustedError ? error.attempts : (sdkAttempts ?? 1);
  const suffix = error instanceof RetriesExhaustedError ? ` (after ${error.attempts} attempts)` : "";
  return {
    status: "failed",
    key,
    error: `${describeError(cause)}${suffix}`,
    attempts: tries,
    errorName: errorName(cause),
    httpStatus: httpStatusOf(cause),
  };
}

/** One attempt at a copy, on the source version it finds; throws SourceChangedError to start over. */
async function replicateOnce(
  config: EngineConfig,
  scheduler: PartScheduler,
  task: ReplicateTask,
  control: ReplicateControl,
): Promise<Outcome> {
  const { source, target, options } = config;
  const hooks = config.hooks ?? {};
  const readAtOnce =
    task.targetKnownStale && task.sourceSize !== undefined && task.sourceSize <= options.partSize;
  const opened = readAtOnce ? await openSource(source, task.sourceKey) : undefined;
  const state = opened?.state ?? (readAtOnce ? undefined : await headSource(source, task.sourceKey));
  if (!state) return { status: "skipped", key: task.sourceKey, size: 0, reason: "source-missing" };
  const partCount = multipartPartCount(state.etag);
  const fitsOnePut = partCount === undefined && state.size <= options.partSize;
  try {
    // Grown or rewritten in parts since it was listed: the open read goes, the parts path reads anew.
    if (opened && !fitsOnePut) opened.body.destroy();
    const existing = task.targetKnownStale ? undefined : await headTarget(target, task.targetKey);
    if (existing && holdsSameContent(state, existing)) {
      return { status: "skipped", key: task.sourceKey, size: state.size, reason: "same-content" };
    }
    const tagging = await readSourceTagging(source, state);
    const common = {
      source,
      target,
      targetKey: task.targetKey,
      state,
      attributes: targetAttributes(state, tagging, options),
      attempts: options.attempts,
      targetEtagsAreMd5: options.encryption.kind !== "sse-kms",
      hooks,
    };
    const copied = { status: "copied", key: task.sourceKey, size: state.size } as const;
    if (fitsOnePut) {
      const { evidence, attempts } = await putWhole({ ...common, opened, scheduler });
      return { ...copied, bytes: state.size, evidence, attempts };
    }
    const layout =
      partCount === undefined
        ? { kind: "planned" as const, parts: planParts(state.size, options.partSize) }
        : { kind: "mirrored" as const, partCount };
    const result = await copyInParts({
      ...common,
      layout,
      scheduler,
      shouldStartPart: control.shouldStartPart,
    });
    if (result.paused)
      return { status: "paused", key: task.sourceKey, size: state.size, bytes: result.bytesSent };
    return { ...copied, bytes: result.bytesSent, evidence: result.evidence, attempts: result.attempts };
  } catch (error) {
    opened?.body.destroy();
    throw error;
  }
}

export function createEngine(config: EngineConfig): Engine {
  const scheduler = new PartScheduler(config.options.concurrency);
  const { source, target, options } = config;
  return {
    async replicate(task, control = {}) {
      for (let start = 1; ; start++) {
        try {
          return await replicateOnce(config, scheduler, task, control);
        } catch (error) {
          if (error instanceof SourceChangedError && start < MAX_FRESH_STARTS) continue;
          return failure(task.sourceKey, error);
        }
      }
    },
    async remove(targetKey) {
      try {
        await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: targetKey }));
        return { status: "deleted", key: targetKey };
      } catch (error) {
        return failure(targetKey, error);
      }
    },
    list: (side, prefix) => listObjects(side === "source" ? source : target, prefix, options.attempts),
    listSourcePage: (prefix, token) => listPage(source, prefix, token, options.attempts),
    async targetHolds(listed, targetKey) {
      const existing = await headTarget(target, targetKey);
      if (!existing) return false;
      if (!markerNeedsSourceHead(listed, existing))
        return holdsSameContent({ ...listed, opaqueEtag: false }, existing);
      const state = await headSource(source, listed.key);
      return state !== undefined && holdsSameContent(state, existing);
    },
  };
}
