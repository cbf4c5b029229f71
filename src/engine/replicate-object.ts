import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import pLimit, { type LimitFunction } from "p-limit";
import { describeError, SourceChangedError } from "./errors.js";
import { multipartPartCount } from "./etag.js";
import { copyInParts } from "./multipart-copy.js";
import { planParts } from "./plan-parts.js";
import { putWhole } from "./put-whole.js";
import { RetriesExhaustedError } from "./retry.js";
import { headSource, readSourceTagging } from "./source-state.js";
import { headTarget, holdsSameContent, targetAttributes } from "./target-attributes.js";
import type { BucketSide, EngineHooks, EngineOptions, Outcome, ReplicateTask } from "./types.js";

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
  replicate(task: ReplicateTask): Promise<Outcome>;
  /** Remove a target key (sync --delete, or a source deletion). */
  remove(targetKey: string): Promise<Outcome>;
  readonly config: EngineConfig;
}

function failure(key: string, error: unknown, attempts = 1): Outcome {
  if (error instanceof RetriesExhaustedError) {
    return {
      status: "failed",
      key,
      error: `${describeError(error.lastError)} (after ${error.attempts} attempts)`,
      attempts: error.attempts,
    };
  }
  return { status: "failed", key, error: describeError(error), attempts };
}

async function replicateOnce(
  config: EngineConfig,
  partLimit: LimitFunction,
  task: ReplicateTask,
): Promise<Outcome> {
  const { source, target, options } = config;
  const hooks = config.hooks ?? {};
  const state = await headSource(source, task.sourceKey);
  if (!state) return { status: "skipped", key: task.sourceKey, size: 0, reason: "source-missing" };
  const existing = await headTarget(target, task.targetKey);
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
    partLimit,
    attempts: options.attempts,
    targetEtagsAreMd5: options.encryption.kind !== "sse-kms",
    hooks,
  };
  const partCount = multipartPartCount(state.etag);
  if (partCount === undefined && state.size <= options.partSize) {
    const { evidence, attempts } = await putWhole(common);
    return { status: "copied", key: task.sourceKey, size: state.size, bytes: state.size, evidence, attempts };
  }
  const layout =
    partCount === undefined
      ? { kind: "planned" as const, parts: planParts(state.size, options.partSize) }
      : { kind: "mirrored" as const, partCount };
  const result = await copyInParts({ ...common, layout });
  return {
    status: "copied",
    key: task.sourceKey,
    size: state.size,
    bytes: result.bytesSent,
    evidence: result.evidence,
    attempts: result.attempts,
  };
}

export function createEngine(config: EngineConfig): Engine {
  const partLimit = pLimit(config.options.concurrency);
  return {
    config,
    async replicate(task) {
      for (let start = 1; ; start++) {
        try {
          return await replicateOnce(config, partLimit, task);
        } catch (error) {
          if (error instanceof SourceChangedError && start < MAX_FRESH_STARTS) continue;
          return failure(task.sourceKey, error);
        }
      }
    },
    async remove(targetKey) {
      try {
        await config.target.client.send(
          new DeleteObjectCommand({ Bucket: config.target.bucket, Key: targetKey }),
        );
        return { status: "deleted", key: targetKey };
      } catch (error) {
        return failure(targetKey, error);
      }
    },
  };
}
