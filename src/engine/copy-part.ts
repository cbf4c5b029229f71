import { IntegrityError } from "./errors.js";
import { FurthestProgress } from "./furthest-progress.js";
import type { HedgedRun } from "./hedged-transfers.js";
import type { MultipartUpload, StoredPart } from "./multipart-upload.js";
import type { OrderedDigest, PartSink } from "./ordered-digest.js";
import { pipeSource, transferSignal } from "./pipe-source.js";
import type { PartRange } from "./plan-parts.js";
import type { ProofPlan } from "./proof-plan.js";
import { withRetries } from "./retry.js";
import { readSource, type SourceState } from "./source-state.js";
import type { BucketSide, EngineHooks } from "./types.js";

/**
 * Mirrored: the source was uploaded in parts; each target part is read with ?partNumber=N (or as
 * the byte range of that part, from a source that ignores the parameter), so the target gets the
 * same boundaries and the same ETag. Planned: a source laid out in parts of our own size.
 */
export type PartLayout =
  | { kind: "mirrored"; partCount: number; ranges?: PartRange[] }
  | { kind: "planned"; parts: PartRange[] };

/** A part of the upload with the digest of its bytes (the MD5 making the composite, or CRC32). */
export type CopiedPart = StoredPart & { fingerprint: string };

/** What every part of one multipart copy shares. */
export interface PartCopy {
  source: BucketSide;
  state: SourceState;
  layout: PartLayout;
  proof: ProofPlan;
  upload: MultipartUpload;
  /** The whole object's MD5, taken in part order, when the proof plan asks for it. */
  digest?: OrderedDigest;
  attempts: number;
  /** The stall timeout of a transfer starting now (see PipeOptions). */
  stallTimeoutMs: () => number;
  /** Hears every failed attempt (the scheduler adapts to them). */
  onAttemptFailed: (error: unknown) => void;
  hooks: EngineHooks;
  /** Aborts the copy (see ReplicateControl.signal). */
  cancel?: AbortSignal;
  /** Hears the bytes the copy moves (see ReplicateControl.onProgress). */
  moved?: (bytes: number) => void;
  /** Each part's progress for hooks.onProgress, across its hedges and retries. */
  partProgress: Map<number, FurthestProgress>;
}

export interface PartResult {
  part: CopiedPart;
  /** False when a stored part was kept after reading it again. */
  sent: boolean;
  attempts: number;
}

function slice(layout: PartLayout, partNumber: number) {
  if (layout.kind === "mirrored" && !layout.ranges) return { partNumber };
  const part = (layout.kind === "mirrored" ? layout.ranges : layout.parts)?.[partNumber - 1] as PartRange;
  return { range: [part.start, part.end] as [number, number] };
}

/**
 * The digest a stored part is kept by under the proof plan: the CRC32 the target keeps with it, or
 * its ETag where that is the MD5 of its bytes. A `trust` plan takes it into the proof as it is, a
 * `reread` one requires the part's bytes read again to match it; undefined when the part cannot be
 * kept (a size the layout does not give it, no digest of the plan's kind, a plan that resends).
 */
export function storedDigest(copy: PartCopy, stored: StoredPart | undefined): string | undefined {
  if (!stored) return undefined;
  const expectedSize =
    copy.layout.kind === "planned" ? copy.layout.parts[stored.partNumber - 1]?.size : undefined;
  if (expectedSize !== undefined && stored.size !== expectedSize) return undefined;
  const kept = copy.proof.storedParts;
  if (kept === "trust-crc32" || kept === "reread-crc32") return stored.checksumCrc32;
  if (kept === "trust" || kept === "reread-etag") return stored.etag;
  return undefined;
}

/** Reads a part from the source without sending it anywhere; returns the digest of its bytes. */
async function readPartOnly(
  copy: PartCopy,
  partNumber: number,
  sink: PartSink | undefined,
  signal?: AbortSignal,
  run?: HedgedRun,
): Promise<string> {
  const { digest } = await pipeSource(
    (signal) => readSource(copy.source, copy.state, slice(copy.layout, partNumber), signal),
    async (body) => {
      for await (const _ of body);
    },
    {
      onBytes: (count) => {
        run?.moved();
        copy.moved?.(count);
      },
      onAllRead: run?.allRead,
      sink,
      digest: copy.proof.partDigest,
      stallTimeoutMs: copy.stallTimeoutMs,
      signal: signal ?? copy.cancel,
    },
  );
  return digest;
}

/** Reads a stored part again without sending it; the part when its bytes are this version's. */
async function rereadStoredPart(
  copy: PartCopy,
  stored: StoredPart,
  expected: string,
  signal: AbortSignal | undefined,
  run: HedgedRun,
): Promise<CopiedPart | undefined> {
  const digest = await readPartOnly(
    copy,
    stored.partNumber,
    copy.digest?.open(stored.partNumber),
    signal,
    run,
  );
  return digest === expected ? { ...stored, fingerprint: digest } : undefined;
}

/**
 * Reads a part once more, only to hash it in its turn: one the ordered digest let go to stay
 * within its budget (see OrderedDigest). The copy's final check compares what it hashed with the
 * bytes that were sent.
 */
export async function hashPartAgain(copy: PartCopy, partNumber: number): Promise<void> {
  await withRetries(() => readPartOnly(copy, partNumber, copy.digest?.open(partNumber)), {
    attempts: copy.attempts,
    onAttemptFailed: copy.onAttemptFailed,
    signal: copy.cancel,
  });
}

/** Streams one part from the source into the upload and checks the target's answer against the bytes read. */
async function sendPart(
  copy: PartCopy,
  partNumber: number,
  signal: AbortSignal | undefined,
  run: HedgedRun,
): Promise<CopiedPart> {
  const { proof } = copy;
  let progress = copy.partProgress.get(partNumber);
  if (!progress) {
    progress = new FurthestProgress((bytes) => copy.hooks.onProgress?.({ key: copy.state.key, bytes }));
    copy.partProgress.set(partNumber, progress);
  }
  const counted = progress.run();
  const piped = await pipeSource(
    (signal) => readSource(copy.source, copy.state, slice(copy.layout, partNumber), signal),
    (body, contentLength, signal) => copy.upload.uploadPart(partNumber, body, contentLength, signal),
    {
      onBytes: (count) => {
        run.moved();
        counted(count);
        copy.moved?.(count);
      },
      onAllRead: run.allRead,
      sink: copy.digest?.open(partNumber),
      digest: proof.partDigest,
      stallTimeoutMs: copy.stallTimeoutMs,
      signal,
    },
  );
  const { etag, checksumCrc32 } = piped.result;
  const storedOther =
    proof.sentPartCheck === "etag"
      ? etag !== piped.digest
      : proof.sentPartCheck === "crc32" && checksumCrc32 !== undefined && checksumCrc32 !== piped.digest;
  if (storedOther)
    throw new IntegrityError(`part ${partNumber}: the target stored other bytes than were read`);
  const fingerprint =
    proof.sentPartCheck === "answered-crc32"
      ? checksumCrc32
      : proof.partDigest === "none"
        ? etag
        : piped.digest;
  if (fingerprint === undefined) {
    throw new IntegrityError(`part ${partNumber}: the target answered without the CRC32 it checked`);
  }
  return {
    partNumber,
    etag,
    size: piped.bytes,
    checksumCrc32,
    fingerprint,
  };
}

/**
 * Copies one part, retried as a whole: a stored part of an interrupted upload is read again and
 * kept when it holds this version's bytes; otherwise the part is sent.
 */
export async function copyPart(copy: PartCopy, partNumber: number, run: HedgedRun): Promise<PartResult> {
  const signal = transferSignal(run.signal, copy.cancel);
  const stored = copy.upload.terms.stored.get(partNumber);
  const expected = storedDigest(copy, stored);
  const { value, attempts } = await withRetries(
    async () => {
      const kept =
        stored && expected !== undefined
          ? await rereadStoredPart(copy, stored, expected, signal, run)
          : undefined;
      return kept
        ? { part: kept, sent: false }
        : { part: await sendPart(copy, partNumber, signal, run), sent: true };
    },
    { attempts: copy.attempts, onAttemptFailed: copy.onAttemptFailed, signal },
  );
  return { ...value, attempts };
}
