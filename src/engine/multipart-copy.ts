import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import {
  type CopiedPart,
  copyPart,
  hashPartAgain,
  type PartCopy,
  type PartLayout,
  storedDigest,
} from "./copy-part.js";
import { combinedCrc32 } from "./crc32-combine.js";
import { IntegrityError, PartReadsIgnoredError, SourceChangedError } from "./errors.js";
import { compositeEtag, multipartPartCount } from "./etag.js";
import { MultipartUpload, type StoredPart } from "./multipart-upload.js";
import { OrderedDigest } from "./ordered-digest.js";
import type { PartScheduler } from "./part-scheduler.js";
import { planProof } from "./proof-plan.js";
import { type SourceState, sourceWrittenAt } from "./source-state.js";
import { SpillFiles } from "./spill-files.js";
import type { TargetAttributes } from "./target-attributes.js";
import type { BucketSide, EngineHooks, Evidence } from "./types.js";

export type { PartLayout } from "./copy-part.js";

export interface MultipartContext {
  source: BucketSide;
  target: BucketSide;
  targetKey: string;
  state: SourceState;
  attributes: TargetAttributes;
  layout: PartLayout;
  scheduler: PartScheduler;
  attempts: number;
  /** The stall timeout of a transfer starting now (see PipeOptions). */
  stallTimeoutMs: () => number;
  /** Target ETags are MD5s of the bytes (false under SSE-KMS). */
  targetEtagsAreMd5: boolean;
  hooks: EngineHooks;
  /** Asked before each part is sent; false pauses the copy (see ReplicateControl). */
  shouldStartPart?: () => boolean;
  /** Aborts the copy; its upload stays for a later run to resume (see ReplicateControl.signal). */
  cancel?: AbortSignal;
  /** Hears the bytes the copy moves (see ReplicateControl.onProgress). */
  moved?: (bytes: number) => void;
}

export type MultipartResult =
  | {
      /** Parts were left unsent when asked to stop: the upload stays open for the next run to resume. */
      paused: true;
      bytesSent: number;
    }
  | {
      paused: false;
      evidence: Evidence;
      bytesSent: number;
      partsSent: number;
      partsReused: number;
      attempts: number;
    };

/**
 * Bytes of parts read ahead of the one being hashed that a copy holds in memory for the ordered
 * MD5 of a single-part source (see OrderedDigest); past it they go to disk. 16 MiB is two 8 MiB
 * parts: with the disk behind it, a 1 GiB copy on loopback peaked at 202.5 MiB of RSS with 32 MiB
 * held, 166.5 MiB with 16 (V8 frees buffers lazily).
 */
const DIGEST_BUDGET_BYTES = 16 * 1024 * 1024;

/**
 * Bytes past DIGEST_BUDGET_BYTES a copy keeps on local disk (see SpillFiles); past it, parts are
 * read again. Half of the 512 MB of /tmp the stack gives its function.
 */
const SPILL_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Parts of a copy under the ordered digest between the one being hashed and the last one started:
 * as many as memory and disk hold, so a part once read is never read again, whatever order the
 * parts end in. A part leaves the window once hashed and its shared slot once sent, so this bounds
 * what waits, and the scheduler what moves. 34 parts of 8 MiB: a long link needs many in flight
 * (40 MB/s at 4 MB/s each: 10 and more, since parts started together end together), and the part
 * being hashed may be the one a reset made start over. Without disk (a file failed), the window is
 * what memory holds.
 */
function digestWindow(ctx: MultipartContext, digest: OrderedDigest): () => number {
  const partSize = ctx.layout.kind === "planned" ? (ctx.layout.parts[0]?.size ?? 1) : 1;
  return () => Math.max(1, Math.floor(digest.capacityBytes() / partSize));
}

function partNumbers(layout: PartLayout): number[] {
  return layout.kind === "mirrored"
    ? Array.from({ length: layout.partCount }, (_, i) => i + 1)
    : layout.parts.map((part) => part.partNumber);
}

/** Stored parts that may count towards resuming under this layout. */
function fitsLayout(layout: PartLayout) {
  return (part: StoredPart) =>
    layout.kind === "mirrored"
      ? part.partNumber <= layout.partCount &&
        (!layout.ranges || layout.ranges[part.partNumber - 1]?.size === part.size)
      : layout.parts[part.partNumber - 1]?.size === part.size;
}

/**
 * The checks the proof plan puts around CompleteMultipartUpload; returns the evidence once the
 * target holds the object. Parts kept from an interrupted upload of an older version make the copy
 * start over on this one.
 */
async function completeProven(ctx: MultipartContext, copy: PartCopy, copied: CopiedParts): Promise<Evidence> {
  const { proof, state, digest } = copy;
  const { parts, partsReused } = copied;
  if (proof.beforeComplete === "whole-md5" && digest) {
    // Every part stored must hold the very bytes that were hashed.
    if (parts.some((p) => digest.partFingerprint(p.partNumber) !== p.fingerprint)) {
      throw new IntegrityError("the parts stored differ from the bytes hashed for the source's MD5");
    }
    if (digest.md5Hex() !== state.etag) {
      throw new IntegrityError("the MD5 of the bytes read differs from the source's ETag");
    }
  }
  if (
    proof.beforeComplete === "whole-crc32" &&
    combinedCrc32(parts.map((p) => ({ crc32: p.fingerprint, size: p.size }))) !== state.fullObjectCrc32
  ) {
    if (partsReused > 0) throw new SourceChangedError("the interrupted upload held another version's parts");
    throw new IntegrityError("the CRC32 of the bytes read differs from the source's full-object CRC32");
  }
  if (proof.beforeComplete === "composite" && compositeEtag(parts.map((p) => p.fingerprint)) !== state.etag) {
    if (partsReused > 0) throw new SourceChangedError("the interrupted upload held another version's parts");
    throw new IntegrityError("the parts read do not add up to the source's ETag");
  }
  const targetEtag = await copy.upload.complete(parts);
  if (proof.afterComplete === "target-etag" && targetEtag !== state.etag) {
    await ctx.target.client.send(new DeleteObjectCommand({ Bucket: ctx.target.bucket, Key: ctx.targetKey }));
    throw new IntegrityError("the target's ETag differs from the source's; the target object was removed");
  }
  return proof.evidence;
}

/** Finds the upload to resume or starts one, with the proof plan that fits it. */
async function openCopy(ctx: MultipartContext): Promise<PartCopy> {
  const { source, target, targetKey, state, layout } = ctx;
  const facts = {
    layout: layout.kind,
    // A multipart source laid out anew has an ETag no layout of ours adds up to.
    sourceEtagIsMd5:
      !state.opaqueEtag && (layout.kind === "mirrored" || multipartPartCount(state.etag) === undefined),
    targetEtagsAreMd5: ctx.targetEtagsAreMd5,
    sourceHasFullCrc32: state.fullObjectCrc32 !== undefined,
  };
  const upload = await MultipartUpload.open(
    target,
    targetKey,
    { writtenAt: () => sourceWrittenAt(source, state), fits: fitsLayout(layout) },
    ctx.attributes,
    (resumed) => planProof({ ...facts, resumed }).checksumAlgorithm,
    ctx.attempts,
  );
  const proof = planProof({
    ...facts,
    resumed: upload.terms.resumed,
    targetAnswersPartCrc32: upload.terms.answersPartCrc32,
  });
  const digest = proof.orderedDigest
    ? new OrderedDigest(
        DIGEST_BUDGET_BYTES,
        (partNumber) => hashPartAgain(copy, partNumber),
        new SpillFiles(SPILL_BUDGET_BYTES),
      )
    : undefined;
  const copy: PartCopy = {
    source,
    state,
    layout,
    proof,
    upload,
    digest,
    attempts: ctx.attempts,
    stallTimeoutMs: ctx.stallTimeoutMs,
    onAttemptFailed: (error) => ctx.scheduler.attemptFailed(error),
    hooks: ctx.hooks,
    cancel: ctx.cancel,
    moved: ctx.moved,
    partProgress: new Map(),
  };
  return copy;
}

interface CopiedParts {
  paused: boolean;
  /** Every part in part order (when not paused). */
  parts: CopiedPart[];
  bytesSent: number;
  partsSent: number;
  partsReused: number;
  attempts: number;
}

/** Keeps the stored parts the plan trusts and copies the others through the scheduler. */
async function copyEveryPart(ctx: MultipartContext, copy: PartCopy): Promise<CopiedParts> {
  const { digest, upload } = copy;
  const numbers = partNumbers(ctx.layout);
  const done = new Map<number, CopiedPart>();
  if (copy.proof.storedParts === "trust" || copy.proof.storedParts === "trust-crc32") {
    for (const n of numbers) {
      const stored = upload.terms.stored.get(n);
      const fingerprint = storedDigest(copy, stored);
      if (stored && fingerprint) done.set(n, { ...stored, fingerprint });
    }
  }
  const tally = { bytesSent: 0, partsSent: 0, partsReused: done.size, attempts: 1 };
  const { paused } = await ctx.scheduler.runParts(
    numbers.filter((n) => !done.has(n)),
    (partNumber, run) => copyPart(copy, partNumber, run),
    {
      settled: async (partNumber, { part, sent, attempts }) => {
        tally.attempts = Math.max(tally.attempts, attempts);
        done.set(partNumber, part);
        if (!sent) {
          tally.partsReused++;
          return 0;
        }
        tally.bytesSent += part.size;
        tally.partsSent++;
        await ctx.hooks.onPartStored?.(ctx.state.key, partNumber);
        return part.size;
      },
      window: digest && digestWindow(ctx, digest),
      // A part stays in the window until hashed: a copy starts no part it has no room for.
      holdUntil: digest && ((partNumber) => digest.released(partNumber)),
      shouldStart: () => !ctx.cancel?.aborted && ctx.shouldStartPart?.() !== false,
      onFailure: () => digest?.abandon(),
    },
  );
  // Parts read again for the digest may still be on their way.
  if (!paused) await digest?.whenHashed(numbers.length);
  const parts = paused ? [] : numbers.map((n) => done.get(n) as CopiedPart);
  return { paused, parts, ...tally };
}

/**
 * Copies one object as a multipart upload, resuming an interrupted upload of the same key when
 * one exists: the proof plan says what proves the copy, the upload session holds the target's
 * side, the scheduler decides when each part starts. Parts already stored are kept when they can
 * be proven to hold the right bytes.
 */
export async function copyInParts(ctx: MultipartContext): Promise<MultipartResult> {
  const copy = await openCopy(ctx);
  try {
    const copied = await copyEveryPart(ctx, copy);
    ctx.cancel?.throwIfAborted();
    if (copied.paused) {
      copy.digest?.abandon();
      return { paused: true, bytesSent: copied.bytesSent };
    }
    const evidence = await completeProven(ctx, copy, copied);
    await copy.upload.removeStale();
    const { bytesSent, partsSent, partsReused, attempts } = copied;
    return { paused: false, evidence, bytesSent, partsSent, partsReused, attempts };
  } catch (error) {
    copy.digest?.abandon();
    // Ranged reads resume this upload at once; a cancelled copy leaves it to the next delivery.
    if (!(error instanceof PartReadsIgnoredError) && !ctx.cancel?.aborted) await copy.upload.abort();
    throw error;
  } finally {
    await copy.digest?.close();
  }
}
