import {
  AbortMultipartUploadCommand,
  type ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import pLimit, { type LimitFunction } from "p-limit";
import type { ReadDigest } from "./digesting-stream.js";
import { errorName, httpStatusOf, IntegrityError, SourceChangedError } from "./errors.js";
import { compositeEtag, normalizeEtag } from "./etag.js";
import { OrderedDigest, type PartSink } from "./ordered-digest.js";
import { pipeSource } from "./pipe-source.js";
import type { PartRange } from "./plan-parts.js";
import { withRetries } from "./retry.js";
import { pinTo, readSource, type SourceState } from "./source-state.js";
import { headTarget, type TargetAttributes } from "./target-attributes.js";
import type { BucketSide, EngineHooks, Evidence } from "./types.js";

/**
 * Mirrored: the source was uploaded in parts; each target part is read with ?partNumber=N, so the
 * target gets the same boundaries and the same ETag. Planned: a single-part source laid out in
 * parts of our own size.
 */
export type PartLayout = { kind: "mirrored"; partCount: number } | { kind: "planned"; parts: PartRange[] };

interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  checksumCrc32?: string;
}

export interface MultipartContext {
  source: BucketSide;
  target: BucketSide;
  targetKey: string;
  state: SourceState;
  attributes: TargetAttributes;
  layout: PartLayout;
  partLimit: LimitFunction;
  attempts: number;
  /** Target ETags are MD5s of the bytes (false under SSE-KMS). */
  targetEtagsAreMd5: boolean;
  hooks: EngineHooks;
  /** Asked before each part is sent; false pauses the copy (see ReplicateControl). */
  shouldStartPart?: () => boolean;
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

export interface IncompleteUpload {
  uploadId: string;
  /** When the upload was started, by the target's clock (ms since the epoch). */
  initiated: number;
  /** The checksum its parts must carry, set when it was created (S3 lists it; MinIO does not). */
  checksumAlgorithm?: ChecksumAlgorithm;
}

/** Incomplete uploads for exactly this key, newest first. */
async function incompleteUploads(target: BucketSide, key: string): Promise<IncompleteUpload[]> {
  const uploads: IncompleteUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await target.client.send(
      new ListMultipartUploadsCommand({
        Bucket: target.bucket,
        Prefix: key,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === key && upload.UploadId) {
        uploads.push({
          uploadId: upload.UploadId,
          initiated: upload.Initiated?.getTime() ?? 0,
          checksumAlgorithm: upload.ChecksumAlgorithm,
        });
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return uploads.sort((a, b) => b.initiated - a.initiated);
}

async function storedParts(
  target: BucketSide,
  key: string,
  uploadId: string,
): Promise<Map<number, StoredPart>> {
  const parts = new Map<number, StoredPart>();
  let marker: string | undefined;
  do {
    const page = await target.client.send(
      new ListPartsCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
    );
    for (const part of page.Parts ?? []) {
      if (part.PartNumber === undefined) continue;
      parts.set(part.PartNumber, {
        partNumber: part.PartNumber,
        etag: normalizeEtag(part.ETag),
        size: part.Size ?? 0,
        checksumCrc32: part.ChecksumCRC32,
      });
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return parts;
}

/**
 * When the source version in `state` was written, by the source's clock (Last-Modified, whole
 * seconds), read with a HEAD pinned to that version.
 */
async function sourceWrittenAt(source: BucketSide, state: SourceState): Promise<number> {
  try {
    const head = await source.client.send(
      new HeadObjectCommand({ Bucket: source.bucket, Key: state.key, ...pinTo(state) }),
    );
    return head.LastModified?.getTime() ?? Number.POSITIVE_INFINITY;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 412 || status === 404) {
      throw new SourceChangedError(`s3://${source.bucket}/${state.key} changed while it was being copied`);
    }
    throw error;
  }
}

/**
 * The incomplete uploads this copy may resume. An upload takes the headers, metadata, tags and
 * marker of the version it was started for, and S3 offers no way to read them back before it is
 * completed; so an upload started before this source version was written (a crash, then the source
 * overwritten) is not resumed, even when its parts hold the same bytes. Last-Modified counts whole
 * seconds, so an upload begun in the same second as the write is taken as this version's: a copy
 * interrupted soon after an upload still resumes. (Where a server dates a multipart object by its
 * upload's start, an overwrite still in progress when the copy began is not told apart; its parts
 * are still proven byte by byte.)
 */
async function resumableUploads(
  source: BucketSide,
  state: SourceState,
  uploads: readonly IncompleteUpload[],
): Promise<IncompleteUpload[]> {
  if (uploads.length === 0) return [];
  const writtenAt = await sourceWrittenAt(source, state);
  return uploads.filter((upload) => upload.initiated >= writtenAt);
}

/**
 * Of the incomplete uploads of the key, the one whose stored parts fit the layout and hold the most
 * bytes (the newest among equals): resuming it re-sends the least. An upload that vanished while
 * being looked at (aborted elsewhere) is passed over.
 */
async function mostCompleteUpload(
  target: BucketSide,
  key: string,
  uploads: readonly IncompleteUpload[],
  layout: PartLayout,
): Promise<(IncompleteUpload & { parts: Map<number, StoredPart> }) | undefined> {
  const fits = (part: StoredPart) =>
    layout.kind === "mirrored"
      ? part.partNumber <= layout.partCount
      : layout.parts[part.partNumber - 1]?.size === part.size;
  let best: (IncompleteUpload & { parts: Map<number, StoredPart> }) | undefined;
  let bestBytes = -1;
  for (const upload of uploads) {
    const parts = await storedParts(target, key, upload.uploadId).catch((error: unknown) => {
      if (errorName(error) === "NoSuchUpload") return undefined;
      throw error;
    });
    if (!parts) continue;
    let bytes = 0;
    for (const part of parts.values()) if (fits(part)) bytes += part.size;
    if (bytes > bestBytes) {
      best = { ...upload, parts };
      bestBytes = bytes;
    }
  }
  return best;
}

/**
 * The checksum the parts of a resumed upload must carry: the one it was created with. S3 names it
 * in the upload listing; servers that do not (MinIO) show it on the stored parts. An upload with
 * nothing stored yet was made for the same source version, so the same choice made it.
 */
function resumedChecksum(
  upload: IncompleteUpload & { parts: Map<number, StoredPart> },
  trustStoredEtags: boolean,
): ChecksumAlgorithm | undefined {
  if (upload.checksumAlgorithm) return upload.checksumAlgorithm;
  const stored = [...upload.parts.values()];
  if (stored.length === 0) return trustStoredEtags ? undefined : "CRC32";
  return stored.some((part) => part.checksumCrc32) ? "CRC32" : undefined;
}

export async function abortUpload(target: BucketSide, key: string, uploadId: string): Promise<void> {
  await target.client
    .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}

/** A server that dates uploads in whole seconds dates each up to this much before it began. */
const SERVER_CLOCK_TICK_MS = 1000;

/**
 * Of the key's incomplete uploads, those an earlier attempt of our CreateMultipartUpload may have
 * started, its answer lost: not in the listing taken before, and dated by the server no later than
 * our own upload and no earlier than that date less the time our request took (all its attempts)
 * and one clock tick. Both bounds are on the server's clock, so its skew from ours does not matter.
 * Another writer's upload started within that window cannot be told apart from them.
 */
export function uploadsLostInCreate(
  uploads: readonly IncompleteUpload[],
  previous: readonly IncompleteUpload[],
  ourUploadId: string,
  createMs: number,
): IncompleteUpload[] {
  const ours = uploads.find((upload) => upload.uploadId === ourUploadId);
  // Without our own upload's date there is no window to look in.
  if (!ours?.initiated) return [];
  const known = new Set([ourUploadId, ...previous.map((upload) => upload.uploadId)]);
  const earliest = ours.initiated - createMs - SERVER_CLOCK_TICK_MS;
  return uploads.filter(
    (upload) =>
      !known.has(upload.uploadId) && upload.initiated >= earliest && upload.initiated <= ours.initiated,
  );
}

/**
 * Starts the multipart upload. When the SDK had to send CreateMultipartUpload more than once, an
 * earlier attempt may have started an upload whose id never reached us and that nothing would ever
 * abort (a later run skips the completed object): those are returned as `lost`. It looks only after
 * a retried Create: one listing then, none otherwise, and other writers' uploads are at stake only then.
 */
async function startUpload(
  ctx: MultipartContext,
  previous: readonly IncompleteUpload[],
  checksumAlgorithm: ChecksumAlgorithm | undefined,
): Promise<{ uploadId: string; lost: IncompleteUpload[] }> {
  const { target, targetKey } = ctx;
  const sentAt = Date.now();
  const created = await target.client.send(
    new CreateMultipartUploadCommand({
      Bucket: target.bucket,
      Key: targetKey,
      ...ctx.attributes,
      ChecksumAlgorithm: checksumAlgorithm,
    }),
  );
  const createMs = Date.now() - sentAt;
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error("the target returned no upload id");
  if ((created.$metadata.attempts ?? 1) <= 1) return { uploadId, lost: [] };
  const uploads = await incompleteUploads(target, targetKey);
  return { uploadId, lost: uploadsLostInCreate(uploads, previous, uploadId, createMs) };
}

/**
 * Completes the upload and returns the target object's ETag. The server can complete an upload and
 * its answer still be lost (a reset or cut-off response): the SDK then asks again and meets
 * NoSuchUpload, or gives up on the network error. So when completing fails, the key is looked at: it
 * holds this upload's object when its ETag is the one this completion produces, the composite of the
 * part ETags sent. Otherwise the failure stands.
 */
async function completeUpload(
  target: BucketSide,
  key: string,
  uploadId: string,
  parts: readonly StoredPart[],
): Promise<string> {
  try {
    const completed = await target.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: parts.map((p) => ({
            PartNumber: p.partNumber,
            ETag: `"${p.etag}"`,
            ChecksumCRC32: p.checksumCrc32,
          })),
        },
      }),
    );
    return normalizeEtag(completed.ETag);
  } catch (error) {
    const produced = compositeEtag(parts.map((p) => p.etag));
    // A target that cannot be read now leaves the failure as it was.
    const current = await headTarget(target, key).catch(() => undefined);
    if (current?.etag === produced) return produced;
    throw error;
  }
}

/**
 * Spaces the starts of parts: each part starts once the part before it has read `lead` bytes (or
 * stopped). Under an ordered digest the bytes of every part ahead of the one being hashed wait in
 * memory; parts started together finish together with nearly all their bytes waiting, while parts
 * started `lead` = part size / concurrency apart hold about half as much, with as many in flight.
 */
class StartStagger {
  private readonly gates = new Map<number, { opened: Promise<void>; open: () => void }>();

  constructor(private readonly lead: number) {}

  private gate(partNumber: number) {
    let gate = this.gates.get(partNumber);
    if (!gate) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { opened, open };
      this.gates.set(partNumber, gate);
    }
    return gate;
  }

  /** Resolves when `partNumber` may start. */
  turnOf(partNumber: number): Promise<void> {
    return partNumber <= 1 ? Promise.resolve() : this.gate(partNumber - 1).opened;
  }

  read(partNumber: number, bytesSoFar: number): void {
    if (bytesSoFar >= this.lead) this.gate(partNumber).open();
  }

  stopped(partNumber: number): void {
    this.gate(partNumber).open();
  }
}

/** Parts of a single-part source in flight at once, while its whole MD5 is taken in order. */
const MAX_PARTS_AHEAD_OF_DIGEST = 4;

function partNumbers(layout: PartLayout): number[] {
  return layout.kind === "mirrored"
    ? Array.from({ length: layout.partCount }, (_, i) => i + 1)
    : layout.parts.map((part) => part.partNumber);
}

/**
 * Copies one object as a multipart upload, resuming an interrupted upload of the same key when
 * one exists. Parts already stored are kept when they can be proven to hold the right bytes.
 */
export async function copyInParts(ctx: MultipartContext): Promise<MultipartResult> {
  const { source, target, targetKey, state, layout } = ctx;
  const previous = await incompleteUploads(target, targetKey);
  const resumable = await resumableUploads(source, state, previous);
  const resumed = await mostCompleteUpload(target, targetKey, resumable, layout);
  const reused = resumed?.parts ?? new Map<number, StoredPart>();
  const sourceEtagIsMd5 = !state.opaqueEtag;
  // A planned layout proves the whole object against a single-part source MD5, in part order.
  const wholeDigest = layout.kind === "planned" && sourceEtagIsMd5 ? new OrderedDigest() : undefined;
  // Stored parts of a mirrored copy are proven by the composite ETag at the end; otherwise each
  // stored part is read again and its MD5 compared with the target's part ETag.
  const trustStoredEtags = layout.kind === "mirrored" && sourceEtagIsMd5 && ctx.targetEtagsAreMd5;
  // The target's part ETags are the MD5s it computed of the bytes it stored, and under a mirrored
  // layout they must add up to the source's ETag: a CRC32 per part would prove nothing more, and
  // costs both sides CPU on every byte (about a fifth of this process's, measured).
  const checksumAlgorithm = resumed
    ? resumedChecksum(resumed, trustStoredEtags)
    : trustStoredEtags
      ? undefined
      : "CRC32";
  const { uploadId, lost } = resumed
    ? { uploadId: resumed.uploadId, lost: [] }
    : await startUpload(ctx, previous, checksumAlgorithm);
  // The other incomplete uploads of this key, and those a retried Create left without an owner, are
  // removed once this copy has succeeded or failed.
  const stale = [...previous.filter((upload) => upload.uploadId !== resumed?.uploadId), ...lost];

  const firstPartSize = layout.kind === "planned" ? (layout.parts[0]?.size ?? 0) : 0;
  // Parts ahead of the one being hashed hold their bytes in memory; fewer of them in flight keeps
  // a 1 GiB single-part copy well under 200 MiB (measured 184 MiB at 8, with V8's lazily freed
  // buffers on top). Mirrored copies hold nothing and keep the full concurrency.
  const partsInFlight = wholeDigest
    ? Math.min(MAX_PARTS_AHEAD_OF_DIGEST, ctx.partLimit.concurrency)
    : Infinity;
  const digestLimit = pLimit(partsInFlight);
  const stagger = wholeDigest
    ? new StartStagger(Math.ceil(firstPartSize / Math.max(1, partsInFlight)))
    : undefined;
  /** Where a read of a part sends its bytes besides the upload: the ordered digest, if any. */
  const sinkFor = (partNumber: number): PartSink | undefined => {
    if (!wholeDigest) return undefined;
    const sink = wholeDigest.open(partNumber);
    let bytes = 0;
    return {
      write: (chunk) => {
        sink.write(chunk);
        bytes += chunk.length;
        stagger?.read(partNumber, bytes);
      },
      complete: (fingerprint) => sink.complete(fingerprint),
      discard: () => sink.discard(),
    };
  };

  // Each part's reads are told apart by a digest: under a planned layout a CRC32 (the whole object's
  // MD5, taken in order, proves what was read; a second MD5 per part would cost a third of this
  // process's CPU, measured), otherwise the MD5 that makes the composite ETag. Mirrored parts the
  // target's ETags prove need none.
  const partDigest: ReadDigest = trustStoredEtags
    ? "none"
    : wholeDigest && checksumAlgorithm === "CRC32"
      ? "crc32"
      : "md5";
  /** Parts of this upload with the digest of their bytes (the MD5 making the composite, or CRC32). */
  const done = new Map<number, StoredPart & { fingerprint: string }>();
  let bytesSent = 0;
  let partsSent = 0;
  let partsReused = 0;
  let maxAttempts = 1;

  const slice = (partNumber: number) =>
    layout.kind === "mirrored"
      ? { partNumber }
      : (() => {
          const part = layout.parts[partNumber - 1] as PartRange;
          return { range: [part.start, part.end] as [number, number] };
        })();

  let paused = false;
  const runPart = async (partNumber: number) => {
    const stored = reused.get(partNumber);
    if (stored && trustStoredEtags) {
      done.set(partNumber, { ...stored, fingerprint: stored.etag });
      partsReused++;
      return;
    }
    if (paused || ctx.shouldStartPart?.() === false) {
      paused = true;
      return;
    }
    await stagger?.turnOf(partNumber);
    const expectedSize = layout.kind === "planned" ? layout.parts[partNumber - 1]?.size : undefined;
    // What a stored part must match for its bytes to be this version's: the CRC32 the target
    // keeps with it, or its ETag where that is the MD5 of its bytes.
    const storedDigest =
      partDigest === "crc32" ? stored?.checksumCrc32 : ctx.targetEtagsAreMd5 ? stored?.etag : undefined;
    const storedUsable =
      stored && storedDigest !== undefined && (expectedSize === undefined || stored.size === expectedSize);
    const { value, attempts } = await withRetries(
      async () => {
        if (storedUsable && stored) {
          // Read the part again without sending it, to prove the stored bytes are this version's.
          const reread = await pipeSource(
            (signal) => readSource(source, state, slice(partNumber), signal),
            async (body) => {
              for await (const _ of body);
            },
            { sink: sinkFor(partNumber), digest: partDigest },
          );
          if (reread.digest === storedDigest)
            return { part: { ...stored, fingerprint: reread.digest }, sent: false };
        }
        const piped = await pipeSource(
          (signal) => readSource(source, state, slice(partNumber), signal),
          (body, contentLength, signal) =>
            target.client.send(
              new UploadPartCommand({
                Bucket: target.bucket,
                Key: targetKey,
                UploadId: uploadId,
                PartNumber: partNumber,
                Body: body,
                ContentLength: contentLength,
                ChecksumAlgorithm: checksumAlgorithm,
              }),
              { abortSignal: signal },
            ),
          {
            onBytes: (count) => ctx.hooks.onProgress?.({ key: state.key, bytes: count }),
            sink: sinkFor(partNumber),
            digest: partDigest,
          },
        );
        const etag = normalizeEtag(piped.result.ETag);
        const checksumCrc32 = piped.result.ChecksumCRC32;
        const storedOther =
          partDigest === "md5"
            ? ctx.targetEtagsAreMd5 && etag !== piped.digest
            : partDigest === "crc32" && checksumCrc32 !== undefined && checksumCrc32 !== piped.digest;
        if (storedOther) {
          throw new IntegrityError(`part ${partNumber}: the target stored other bytes than were read`);
        }
        const part = {
          partNumber,
          etag,
          size: piped.bytes,
          checksumCrc32,
          fingerprint: trustStoredEtags ? etag : piped.digest,
        };
        return { part, sent: true };
      },
      { attempts: ctx.attempts },
    );
    maxAttempts = Math.max(maxAttempts, attempts);
    done.set(partNumber, value.part);
    if (value.sent) {
      bytesSent += value.part.size;
      partsSent++;
      await ctx.hooks.onPartStored?.(state.key, partNumber);
    } else {
      partsReused++;
    }
    // Keep this part's slot until its bytes are hashed: that bounds the bytes waiting in the digest.
    if (wholeDigest) await wholeDigest.whenHashed(partNumber);
  };

  let failed = false;
  const guardedPart = async (partNumber: number) => {
    try {
      if (!failed) await runPart(partNumber);
    } catch (error) {
      failed = true;
      wholeDigest?.abandon();
      throw error;
    } finally {
      stagger?.stopped(partNumber);
    }
  };

  try {
    const numbers = partNumbers(layout);
    const results = await Promise.allSettled(
      numbers.map((n) => digestLimit(() => ctx.partLimit(() => guardedPart(n)))),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    if (paused) {
      wholeDigest?.abandon();
      return { paused: true, bytesSent };
    }

    const ordered = numbers.map((n) => done.get(n) as StoredPart & { fingerprint: string });
    let evidence: Evidence = "checksum";
    if (wholeDigest) {
      // Every part stored must hold the very bytes that were hashed.
      if (ordered.some((p) => wholeDigest.partFingerprint(p.partNumber) !== p.fingerprint)) {
        throw new IntegrityError("the parts stored differ from the bytes hashed for the source's MD5");
      }
      if (wholeDigest.md5Hex() !== state.etag) {
        throw new IntegrityError("the MD5 of the bytes read differs from the source's ETag");
      }
      evidence = "md5";
    } else if (layout.kind === "mirrored" && sourceEtagIsMd5) {
      if (compositeEtag(ordered.map((p) => p.fingerprint)) !== state.etag) {
        // Parts kept from an interrupted upload of an older version: start over on this one.
        if (partsReused > 0)
          throw new SourceChangedError("the interrupted upload held another version's parts");
        throw new IntegrityError("the parts read do not add up to the source's ETag");
      }
      evidence = "md5";
    }
    const targetEtag = await completeUpload(target, targetKey, uploadId, ordered);
    if (layout.kind === "mirrored" && sourceEtagIsMd5 && ctx.targetEtagsAreMd5) {
      if (targetEtag !== state.etag) {
        await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: targetKey }));
        throw new IntegrityError(
          "the target's ETag differs from the source's; the target object was removed",
        );
      }
      evidence = "etag";
    }
    for (const upload of stale) await abortUpload(target, targetKey, upload.uploadId);
    return { paused: false, evidence, bytesSent, partsSent, partsReused, attempts: maxAttempts };
  } catch (error) {
    wholeDigest?.abandon();
    await abortUpload(target, targetKey, uploadId);
    for (const upload of stale) await abortUpload(target, targetKey, upload.uploadId);
    throw error;
  }
}
