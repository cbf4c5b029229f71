import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import {
  describeError,
  errorName,
  httpStatusOf,
  PartReadsIgnoredError,
  PartsLostError,
  SourceChangedError,
} from "./errors.js";
import { multipartPartCount } from "./etag.js";
import { type ListedObject, type ListedPage, listObjects, listPage } from "./list-objects.js";
import { copyInParts, type MultipartContext } from "./multipart-copy.js";
import { PartScheduler } from "./part-scheduler.js";
import { planParts } from "./plan-parts.js";
import { putWhole } from "./put-whole.js";
import { RetriesExhaustedError } from "./retry.js";
import {
  headSource,
  openSource,
  readSourceTagging,
  type SourceState,
  sourcePartRanges,
} from "./source-state.js";
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
   * Whole-object copies the engine runs at once now (it adapts to the link): how many objects a
   * driver may hand it at a time without them waiting long.
   */
  objectSlots(): number;
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

/** What an engine shares across its copies, and learns about its source server as it goes. */
interface EngineRun {
  config: EngineConfig;
  scheduler: PartScheduler;
  /** The source answered a ?partNumber= read with the whole object: read parts as byte ranges. */
  partReadsIgnored: boolean;
}

/** What the parts path needs besides the layout. */
type PartsContext = Omit<MultipartContext, "layout">;

const RANGED_PARTS_NOTE = "the source ignores ?partNumber=: its parts were read as byte ranges";
const LAID_OUT_NOTE =
  "the source ignores ?partNumber= and gives no part sizes: it was copied in parts of our own, each checked in transit";

/** The layout of a multipart copy, and a note for the outcome when it is not the usual one. */
async function layoutFor(run: EngineRun, state: SourceState, partCount: number | undefined) {
  const planned = { kind: "planned" as const, parts: planParts(state.size, run.config.options.partSize) };
  if (partCount === undefined) return { layout: planned };
  if (!run.partReadsIgnored) return { layout: { kind: "mirrored" as const, partCount } };
  const ranges = await sourcePartRanges(run.config.source, state, partCount);
  if (!ranges) return { layout: planned, note: LAID_OUT_NOTE };
  return { layout: { kind: "mirrored" as const, partCount, ranges }, note: RANGED_PARTS_NOTE };
}

/** The parts path; a source found to ignore ?partNumber= is copied again at once, by ranges. */
async function copyMultipart(run: EngineRun, ctx: PartsContext, partCount: number | undefined) {
  const first = await layoutFor(run, ctx.state, partCount);
  try {
    return { ...(await copyInParts({ ...ctx, layout: first.layout })), note: first.note };
  } catch (error) {
    if (!(error instanceof PartReadsIgnoredError) || run.partReadsIgnored) throw error;
    run.partReadsIgnored = true;
    const second = await layoutFor(run, ctx.state, partCount);
    return { ...(await copyInParts({ ...ctx, layout: second.layout })), note: second.note };
  }
}

/** One attempt at a copy, on the source version it finds; throws SourceChangedError to start over. */
async function replicateOnce(
  run: EngineRun,
  task: ReplicateTask,
  control: ReplicateControl,
): Promise<Outcome> {
  const { source, target, options } = run.config;
  const { scheduler } = run;
  const hooks = run.config.hooks ?? {};
  const readAtOnce =
    task.targetKnownStale && task.sourceSize !== undefined && task.sourceSize <= options.partSize;
  const opened = readAtOnce ? await openSource(source, task.sourceKey) : undefined;
  const { signal } = control;
  const state = opened?.state ?? (readAtOnce ? undefined : await headSource(source, task.sourceKey, signal));
  if (!state) return { status: "skipped", key: task.sourceKey, size: 0, reason: "source-missing" };
  const partCount = multipartPartCount(state.etag);
  const fitsOnePut = partCount === undefined && state.size <= options.partSize;
  try {
    // Grown or rewritten in parts since it was listed: the open read goes, the parts path reads anew.
    if (opened && !fitsOnePut) opened.body.destroy();
    const existing = task.targetKnownStale ? undefined : await headTarget(target, task.targetKey, signal);
    if (existing && holdsSameContent(state, existing)) {
      return { status: "skipped", key: task.sourceKey, size: state.size, reason: "same-content" };
    }
    const tagging = await readSourceTagging(source, state, signal);
    const common = {
      source,
      target,
      targetKey: task.targetKey,
      state,
      attributes: targetAttributes(state, tagging, options),
      attempts: options.attempts,
      stallTimeoutMs: () =>
        Math.min(options.stallTimeoutMs, control.stallBudgetMs?.() ?? Number.POSITIVE_INFINITY),
      targetEtagsAreMd5: options.encryption.kind !== "sse-kms",
      hooks,
      cancel: control.signal,
      moved: control.onProgress,
    };
    const copied = { status: "copied", key: task.sourceKey, size: state.size } as const;
    if (fitsOnePut) {
      const { evidence, attempts } = await putWhole({ ...common, opened, scheduler });
      return { ...copied, bytes: state.size, evidence, attempts };
    }
    const result = await copyMultipart(
      run,
      { ...common, scheduler, shouldStartPart: control.shouldStartPart },
      partCount,
    );
    if (result.paused)
      return { status: "paused", key: task.sourceKey, size: state.size, bytes: result.bytesSent };
    const { bytesSent: bytes, evidence, attempts, note } = result;
    return { ...copied, bytes, evidence, attempts, ...(note ? { evidenceNote: note } : {}) };
  } catch (error) {
    opened?.body.destroy();
    throw error;
  }
}

export function createEngine(config: EngineConfig): Engine {
  const scheduler = new PartScheduler({
    concurrency: config.options.concurrency,
    adaptiveMax: config.options.adaptiveMax,
  });
  const run: EngineRun = { config, scheduler, partReadsIgnored: false };
  const { source, target, options } = config;
  return {
    async replicate(task, control = {}) {
      const { signal } = control;
      for (let start = 1; ; start++) {
        try {
          signal?.throwIfAborted();
          return await replicateOnce(run, task, control);
        } catch (error) {
          // Whatever a cancelled copy's transfers failed with, the cancel is the cause.
          if (signal?.aborted) return failure(task.sourceKey, signal.reason);
          const startOver = error instanceof SourceChangedError || error instanceof PartsLostError;
          if (startOver && start < MAX_FRESH_STARTS) continue;
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
    objectSlots: () => scheduler.objectSlots,
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
