import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListPartsCommand,
  type ListPartsCommandOutput,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { errorName, PartsLostError } from "./errors.js";
import { compositeEtag, normalizeEtag } from "./etag.js";
import { hedgedRead } from "./hedged-reads.js";
import { paginate } from "./paginate.js";
import type { ResumedChecksum } from "./proof-plan.js";
import { headTarget, type TargetAttributes } from "./target-attributes.js";
import type { BucketSide } from "./types.js";

/** A part the target holds: its number, ETag and size, and the CRC32 it keeps with it, if any. */
export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  checksumCrc32?: string;
}

export interface IncompleteUpload {
  uploadId: string;
  /** When the upload was started, by the target's clock (ms since the epoch). */
  initiated: number;
  /** The checksum its parts must carry, set when it was created (S3 lists it; MinIO does not). */
  checksumAlgorithm?: ChecksumAlgorithm;
}

interface ResumableUpload extends IncompleteUpload {
  parts: Map<number, StoredPart>;
}

/** Incomplete uploads for exactly this key, newest first. */
async function incompleteUploads(
  target: BucketSide,
  key: string,
  attempts: number,
): Promise<IncompleteUpload[]> {
  const uploads: IncompleteUpload[] = [];
  // The listing goes on from a key and an upload id together: the pair is the marker.
  const pages = paginate<ListMultipartUploadsCommandOutput>({
    what: `ListMultipartUploads of s3://${target.bucket}/${key}`,
    attempts,
    fetch: (marker) => {
      const [keyMarker, uploadIdMarker] = marker ? (JSON.parse(marker) as [string, string | undefined]) : [];
      return hedgedRead(target.client, (abortSignal) =>
        target.client.send(
          new ListMultipartUploadsCommand({
            Bucket: target.bucket,
            Prefix: key,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
          { abortSignal },
        ),
      );
    },
    next: (page) => ({
      truncated: page.IsTruncated === true,
      marker: page.NextKeyMarker ? JSON.stringify([page.NextKeyMarker, page.NextUploadIdMarker]) : undefined,
    }),
  });
  for await (const page of pages) {
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === key && upload.UploadId) {
        uploads.push({
          uploadId: upload.UploadId,
          initiated: upload.Initiated?.getTime() ?? 0,
          checksumAlgorithm: upload.ChecksumAlgorithm,
        });
      }
    }
  }
  return uploads.sort((a, b) => b.initiated - a.initiated);
}

async function storedParts(
  target: BucketSide,
  key: string,
  uploadId: string,
  attempts: number,
): Promise<Map<number, StoredPart>> {
  const parts = new Map<number, StoredPart>();
  const pages = paginate<ListPartsCommandOutput>({
    what: `ListParts of s3://${target.bucket}/${key}`,
    attempts,
    fetch: (marker) =>
      hedgedRead(target.client, (abortSignal) =>
        target.client.send(
          new ListPartsCommand({
            Bucket: target.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumberMarker: marker,
          }),
          { abortSignal },
        ),
      ),
    next: (page) => ({ truncated: page.IsTruncated === true, marker: page.NextPartNumberMarker }),
  });
  for await (const page of pages) {
    for (const part of page.Parts ?? []) {
      if (part.PartNumber === undefined) continue;
      parts.set(part.PartNumber, {
        partNumber: part.PartNumber,
        etag: normalizeEtag(part.ETag),
        size: part.Size ?? 0,
        checksumCrc32: part.ChecksumCRC32,
      });
    }
  }
  return parts;
}

/**
 * Of the incomplete uploads of the key, the one whose stored parts fit the layout and hold the most
 * bytes (the newest among equals): resuming it re-sends the least. One holding nothing that fits is
 * not worth resuming: a new upload serves as well. An upload that vanished while being looked at
 * (aborted elsewhere) is passed over.
 */
async function mostCompleteUpload(
  target: BucketSide,
  key: string,
  uploads: readonly IncompleteUpload[],
  fits: (part: StoredPart) => boolean,
  attempts: number,
): Promise<ResumableUpload | undefined> {
  let best: ResumableUpload | undefined;
  let bestBytes = 0;
  for (const upload of uploads) {
    const parts = await storedParts(target, key, upload.uploadId, attempts).catch((error: unknown) => {
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

/** What decides whether a copy resumes one of the key's incomplete uploads. */
export interface ResumeRules {
  /** When the source version was written (ms since the epoch); asked only when there are uploads. */
  writtenAt: () => Promise<number>;
  /** Whether a stored part may count towards resuming under the copy's layout. */
  fits: (part: StoredPart) => boolean;
}

/**
 * Of the key's incomplete uploads, the one this copy may resume. An upload takes the headers,
 * metadata, tags and marker of the version it was started for, and S3 offers no way to read them
 * back before it is completed; so an upload started before this source version was written
 * (a crash, then the source overwritten) is not resumed, even when its parts hold the same bytes.
 * Last-Modified counts whole seconds, so an upload begun in the same second as the write is taken
 * as this version's: a copy interrupted soon after an upload still resumes. (Where a server dates
 * a multipart object by its upload's start, an overwrite still in progress when the copy began is
 * not told apart; its parts are still proven byte by byte.)
 */
export async function findResumableUpload(
  target: BucketSide,
  key: string,
  uploads: readonly IncompleteUpload[],
  rules: ResumeRules,
  attempts: number,
): Promise<ResumableUpload | undefined> {
  if (uploads.length === 0) return undefined;
  const since = await rules.writtenAt();
  const candidates = uploads.filter((upload) => upload.initiated >= since);
  return mostCompleteUpload(target, key, candidates, rules.fits, attempts);
}

/**
 * The checksum the parts of a resumed upload must carry: the one it was created with. S3 names it
 * in the upload listing; servers that do not (MinIO) show it on the stored parts.
 */
function resumedChecksum(upload: ResumableUpload): ResumedChecksum {
  if (upload.checksumAlgorithm) return upload.checksumAlgorithm;
  const stored = [...upload.parts.values()];
  if (stored.length === 0) return "unknown";
  return stored.some((part) => part.checksumCrc32) ? "CRC32" : "none";
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

/** Aborts one upload, whatever becomes of the request: what it leaves, a later copy finds as stale. */
async function abortUpload(target: BucketSide, key: string, uploadId: string): Promise<void> {
  await target.client
    .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}

/** Starts a new upload; how long the request took, all its attempts, dates any it lost. */
async function createUpload(
  target: BucketSide,
  key: string,
  attributes: TargetAttributes,
  checksum: ChecksumAlgorithm | undefined,
): Promise<{ uploadId: string; createMs: number; retried: boolean; echoed?: ChecksumAlgorithm }> {
  const sentAt = Date.now();
  const created = await target.client.send(
    new CreateMultipartUploadCommand({
      Bucket: target.bucket,
      Key: key,
      ...attributes,
      ChecksumAlgorithm: checksum,
    }),
  );
  if (!created.UploadId) throw new Error("the target returned no upload id");
  return {
    uploadId: created.UploadId,
    createMs: Date.now() - sentAt,
    retried: (created.$metadata.attempts ?? 1) > 1,
    echoed: created.ChecksumAlgorithm,
  };
}

/** How the parts of one upload are sent and proven, fixed when it is created or resumed. */
export interface UploadTerms {
  /** The checksum its parts carry. */
  checksumAlgorithm: ChecksumAlgorithm | undefined;
  /** Parts an interrupted upload already holds (empty for a new upload). */
  stored: ReadonlyMap<number, StoredPart>;
  /** The checksum the resumed upload was created with (undefined for a new upload). */
  resumed: ResumedChecksum | undefined;
  /**
   * The target answers each UploadPart with the part's CRC32, checked against the one sent with
   * its bytes: it said CRC32 to the Create (S3 and MinIO do), or a resumed upload's listing or
   * stored parts show CRC32s.
   */
  answersPartCrc32: boolean;
}

/**
 * One multipart upload of one target key, new or resumed: the only code that knows upload ids.
 * Besides its own upload it owns the key's other incomplete uploads (`stale`): removed once the copy
 * has succeeded or failed.
 */
export class MultipartUpload {
  private constructor(
    private readonly target: BucketSide,
    private readonly key: string,
    private readonly uploadId: string,
    readonly terms: UploadTerms,
    private readonly stale: readonly string[],
  ) {}

  /**
   * Resumes the key's incomplete upload that `rules` allow and that holds the most, or else uses a
   * new one. The new one is started while the key's uploads are being listed, not after: each is a
   * round trip, 0.3 s on a long link, and resuming is the rare case, where the new upload becomes
   * stale. `checksumFor` gives the checksum an upload's parts carry, from the one a resumed upload
   * was created with (undefined: a new upload).
   *
   * When the SDK had to send CreateMultipartUpload more than once, an earlier attempt may have
   * started an upload whose id never reached us and that nothing would ever abort (a later run skips
   * the completed object): those become stale too. It looks only after a retried Create: one
   * listing then, none otherwise, and other writers' uploads are at stake only then.
   */
  static async open(
    target: BucketSide,
    key: string,
    rules: ResumeRules,
    attributes: TargetAttributes,
    checksumFor: (resumed: ResumedChecksum | undefined) => ChecksumAlgorithm | undefined,
    attempts: number,
  ): Promise<MultipartUpload> {
    const fresh = checksumFor(undefined);
    const [listed, created] = await Promise.allSettled([
      incompleteUploads(target, key, attempts),
      createUpload(target, key, attributes, fresh),
    ]);
    if (created.status === "rejected") throw created.reason;
    const { uploadId, createMs, retried, echoed } = created.value;
    try {
      if (listed.status === "rejected") throw listed.reason;
      const previous = listed.value.filter((upload) => upload.uploadId !== uploadId);
      const resumable = await findResumableUpload(target, key, previous, rules, attempts);
      const lost = retried
        ? uploadsLostInCreate(await incompleteUploads(target, key, attempts), previous, uploadId, createMs)
        : [];
      const others = [...previous, ...lost].map((upload) => upload.uploadId);
      if (!resumable) {
        const terms: UploadTerms = {
          checksumAlgorithm: fresh,
          stored: new Map(),
          resumed: undefined,
          answersPartCrc32: fresh === "CRC32" && echoed === "CRC32",
        };
        return new MultipartUpload(target, key, uploadId, terms, others);
      }
      const resumed = resumedChecksum(resumable);
      const terms: UploadTerms = {
        checksumAlgorithm: checksumFor(resumed),
        stored: resumable.parts,
        resumed,
        answersPartCrc32: resumed === "CRC32",
      };
      const stale = [uploadId, ...others.filter((other) => other !== resumable.uploadId)];
      return new MultipartUpload(target, key, resumable.uploadId, terms, stale);
    } catch (error) {
      await abortUpload(target, key, uploadId);
      throw error;
    }
  }

  async uploadPart(
    partNumber: number,
    body: Readable,
    contentLength: number,
    abortSignal: AbortSignal,
  ): Promise<{ etag: string; checksumCrc32?: string }> {
    const output = await this.target.client.send(
      new UploadPartCommand({
        Bucket: this.target.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: contentLength,
        ChecksumAlgorithm: this.terms.checksumAlgorithm,
      }),
      { abortSignal },
    );
    return { etag: normalizeEtag(output.ETag), checksumCrc32: output.ChecksumCRC32 };
  }

  /**
   * Completes the upload and returns the target object's ETag. The server can complete an upload and
   * its answer still be lost (a reset or cut-off response): the SDK then asks again and meets
   * NoSuchUpload, or gives up on the network error. So when completing fails, the key is looked at:
   * it holds this upload's object when its ETag is the one this completion produces, the composite
   * of the part ETags sent. Otherwise the failure stands.
   */
  async complete(parts: readonly StoredPart[]): Promise<string> {
    try {
      const completed = await this.target.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.target.bucket,
          Key: this.key,
          UploadId: this.uploadId,
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
      const current = await headTarget(this.target, this.key).catch(() => undefined);
      if (current?.etag === produced) return produced;
      if (errorName(error) === "InvalidPart") {
        throw new PartsLostError(
          `s3://${this.target.bucket}/${this.key}: the target lost a part it had stored (InvalidPart on completing)`,
        );
      }
      throw error;
    }
  }

  /** The copy succeeded: the key's other incomplete uploads go. */
  async removeStale(): Promise<void> {
    await Promise.all(this.stale.map((uploadId) => abortUpload(this.target, this.key, uploadId)));
  }

  /** The copy failed: this upload goes, and the key's other incomplete uploads with it. */
  async abort(): Promise<void> {
    await abortUpload(this.target, this.key, this.uploadId);
    await this.removeStale();
  }
}
