import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { LimitFunction } from "p-limit";
import { IntegrityError, SourceChangedError } from "./errors.js";
import { compositeEtag, normalizeEtag } from "./etag.js";
import { OrderedDigest } from "./ordered-digest.js";
import { pipeSource } from "./pipe-source.js";
import type { PartRange } from "./plan-parts.js";
import { withRetries } from "./retry.js";
import { readSource, type SourceState } from "./source-state.js";
import type { TargetAttributes } from "./target-attributes.js";
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
}

export interface MultipartResult {
  evidence: Evidence;
  bytesSent: number;
  partsSent: number;
  partsReused: number;
  attempts: number;
}

/** Incomplete uploads for exactly this key, newest first. */
async function incompleteUploads(target: BucketSide, key: string) {
  const uploads: { uploadId: string; initiated: number }[] = [];
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
        uploads.push({ uploadId: upload.UploadId, initiated: upload.Initiated?.getTime() ?? 0 });
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

export async function abortUpload(target: BucketSide, key: string, uploadId: string): Promise<void> {
  await target.client
    .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}

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
  const resumed = previous[0];
  const reused = resumed
    ? await storedParts(target, targetKey, resumed.uploadId)
    : new Map<number, StoredPart>();
  const uploadId =
    resumed?.uploadId ??
    (
      await target.client.send(
        new CreateMultipartUploadCommand({
          Bucket: target.bucket,
          Key: targetKey,
          ...ctx.attributes,
          ChecksumAlgorithm: "CRC32",
        }),
      )
    ).UploadId;
  if (!uploadId) throw new Error("the target returned no upload id");

  const sourceEtagIsMd5 = !state.opaqueEtag;
  // A planned layout proves the whole object against a single-part source MD5, in part order.
  const wholeDigest = layout.kind === "planned" && sourceEtagIsMd5 ? new OrderedDigest() : undefined;
  // Stored parts of a mirrored copy are proven by the composite ETag at the end; otherwise each
  // stored part is read again and its MD5 compared with the target's part ETag.
  const trustStoredEtags = layout.kind === "mirrored" && sourceEtagIsMd5 && ctx.targetEtagsAreMd5;

  const done = new Map<number, StoredPart & { md5Hex: string }>();
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

  const runPart = async (partNumber: number) => {
    const stored = reused.get(partNumber);
    if (stored && trustStoredEtags) {
      done.set(partNumber, { ...stored, md5Hex: stored.etag });
      partsReused++;
      return;
    }
    const expectedSize = layout.kind === "planned" ? layout.parts[partNumber - 1]?.size : undefined;
    const storedUsable =
      stored && ctx.targetEtagsAreMd5 && (expectedSize === undefined || stored.size === expectedSize);
    const { value, attempts } = await withRetries(
      async () => {
        if (storedUsable && stored) {
          // Read the part again without sending it, to prove the stored bytes are this version's.
          const reread = await pipeSource(
            (signal) => readSource(source, state, slice(partNumber), signal),
            async (body) => {
              for await (const _ of body);
            },
            { keepChunks: Boolean(wholeDigest) },
          );
          if (reread.md5Hex === stored.etag)
            return { part: { ...stored, md5Hex: reread.md5Hex }, piped: reread, sent: false };
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
                ChecksumAlgorithm: "CRC32",
              }),
              { abortSignal: signal },
            ),
          {
            onBytes: (count) => ctx.hooks.onProgress?.({ key: state.key, bytes: count }),
            keepChunks: Boolean(wholeDigest),
          },
        );
        const etag = normalizeEtag(piped.result.ETag);
        if (ctx.targetEtagsAreMd5 && etag !== piped.md5Hex) {
          throw new IntegrityError(`part ${partNumber}: the target stored other bytes than were read`);
        }
        const part = {
          partNumber,
          etag,
          size: piped.bytes,
          checksumCrc32: piped.result.ChecksumCRC32,
          md5Hex: piped.md5Hex,
        };
        return { part, piped, sent: true };
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
    if (wholeDigest) await wholeDigest.submit(partNumber, value.piped.kept ?? []);
  };

  let failed = false;
  const guardedPart = async (partNumber: number) => {
    if (failed) return;
    try {
      await runPart(partNumber);
    } catch (error) {
      failed = true;
      wholeDigest?.abandon();
      throw error;
    }
  };

  try {
    const numbers = partNumbers(layout);
    const results = await Promise.allSettled(numbers.map((n) => ctx.partLimit(() => guardedPart(n))));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;

    const ordered = numbers.map((n) => done.get(n) as StoredPart & { md5Hex: string });
    let evidence: Evidence = "checksum";
    if (wholeDigest) {
      if (wholeDigest.md5Hex() !== state.etag) {
        throw new IntegrityError("the MD5 of the bytes read differs from the source's ETag");
      }
      evidence = "md5";
    } else if (layout.kind === "mirrored" && sourceEtagIsMd5) {
      if (compositeEtag(ordered.map((p) => p.md5Hex)) !== state.etag) {
        // Parts kept from an interrupted upload of an older version: start over on this one.
        if (partsReused > 0)
          throw new SourceChangedError("the interrupted upload held another version's parts");
        throw new IntegrityError("the parts read do not add up to the source's ETag");
      }
      evidence = "md5";
    }
    const completed = await target.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: targetKey,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: ordered.map((p) => ({
            PartNumber: p.partNumber,
            ETag: `"${p.etag}"`,
            ChecksumCRC32: p.checksumCrc32,
          })),
        },
      }),
    );
    const targetEtag = normalizeEtag(completed.ETag);
    if (layout.kind === "mirrored" && sourceEtagIsMd5 && ctx.targetEtagsAreMd5) {
      if (targetEtag !== state.etag) {
        await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: targetKey }));
        throw new IntegrityError(
          "the target's ETag differs from the source's; the target object was removed",
        );
      }
      evidence = "etag";
    }
    for (const stale of previous.slice(1)) await abortUpload(target, targetKey, stale.uploadId);
    return { evidence, bytesSent, partsSent, partsReused, attempts: maxAttempts };
  } catch (error) {
    wholeDigest?.abandon();
    await abortUpload(target, targetKey, uploadId);
    throw error;
  }
}
