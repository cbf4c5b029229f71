import type { Readable } from "node:stream";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import {
  errorName,
  httpStatusOf,
  IntegrityError,
  PartReadsIgnoredError,
  SourceChangedError,
} from "./errors.js";
import { normalizeEtag } from "./etag.js";
import { hedgedRead } from "./hedged-reads.js";
import type { PartRange } from "./plan-parts.js";
import type { BucketSide } from "./types.js";

/** The content headers S3 stores with an object, carried to the target as they are. */
export interface ContentHeaders {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Expires?: Date;
}

/** One version of a source object, as first seen; every later read is pinned to it. */
export interface SourceState {
  key: string;
  size: number;
  etag: string;
  versionId?: string;
  /** The ETag is not an MD5 of the bytes (SSE-KMS, DSSE, SSE-C): it proves nothing about them. */
  opaqueEtag: boolean;
  /**
   * The CRC32 of the whole object the source stores with it (S3's full-object ChecksumCRC32), when
   * its HEAD gave one: a copy in parts can prove its bytes by it without reading them in order.
   */
  fullObjectCrc32?: string;
  headers: ContentHeaders;
  metadata: Record<string, string>;
  tagCount: number;
}

type ObjectHeadFields = Pick<
  HeadObjectCommandOutput,
  | "ContentLength"
  | "ETag"
  | "VersionId"
  | "ServerSideEncryption"
  | "SSECustomerAlgorithm"
  | "ChecksumCRC32"
  | "ChecksumType"
  | "ContentType"
  | "ContentEncoding"
  | "ContentDisposition"
  | "ContentLanguage"
  | "CacheControl"
  | "ExpiresString"
  | "Metadata"
  | "TagCount"
>;

function parseExpires(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function toSourceState(key: string, head: ObjectHeadFields, size: number): SourceState {
  const versionId = head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined;
  const headers: ContentHeaders = {
    ContentType: head.ContentType,
    ContentEncoding: head.ContentEncoding,
    ContentDisposition: head.ContentDisposition,
    ContentLanguage: head.ContentLanguage,
    CacheControl: head.CacheControl,
    Expires: parseExpires(head.ExpiresString),
  };
  return {
    key,
    size,
    etag: normalizeEtag(head.ETag),
    versionId,
    opaqueEtag: Boolean(head.SSECustomerAlgorithm) || (head.ServerSideEncryption ?? "").startsWith("aws:kms"),
    fullObjectCrc32: fullObjectCrc32(head),
    headers,
    metadata: head.Metadata ?? {},
    tagCount: head.TagCount ?? 0,
  };
}

/**
 * A multipart object's COMPOSITE checksum ("<crc of part crcs>-N") says nothing of its bytes as a
 * whole; servers that give no ChecksumType (older S3-compatible ones) mark it by the suffix alone.
 */
function fullObjectCrc32(head: ObjectHeadFields): string | undefined {
  const crc = head.ChecksumCRC32;
  if (!crc || head.ChecksumType === "COMPOSITE" || crc.includes("-")) return undefined;
  return crc;
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === "NotFound" || name === "NoSuchKey" || (httpStatusOf(error) === 404 && name !== "NoSuchBucket")
  );
}

/**
 * HEAD of a key on either side (a hedged read); undefined when the key does not exist. `checksums`
 * asks for the object's stored checksums too (ChecksumMode; under SSE-KMS that takes kms:Decrypt,
 * which reading the source takes anyway, so only the source's HEAD asks).
 */
export async function headObject(
  side: BucketSide,
  key: string,
  abortSignal?: AbortSignal,
  checksums = false,
): Promise<HeadObjectCommandOutput | undefined> {
  const input = { Bucket: side.bucket, Key: key, ...(checksums ? { ChecksumMode: "ENABLED" as const } : {}) };
  try {
    return await hedgedRead(
      side.client,
      (signal) => side.client.send(new HeadObjectCommand(input), { abortSignal: signal }),
      { signal: abortSignal },
    );
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** HEAD the source; undefined when the key does not exist. `abortSignal` cancels it. */
export async function headSource(
  source: BucketSide,
  key: string,
  abortSignal?: AbortSignal,
): Promise<SourceState | undefined> {
  const head = await headObject(source, key, abortSignal, true);
  return head && toSourceState(key, head, head.ContentLength ?? 0);
}

export interface OpenedSource extends SourceBody {
  state: SourceState;
}

/**
 * GET the key's current version whole, and take its state from the same answer: the bytes and the
 * state describe one version by construction. Undefined when the key does not exist.
 */
export async function openSource(source: BucketSide, key: string): Promise<OpenedSource | undefined> {
  try {
    const output = await hedgedRead(
      source.client,
      (abortSignal) =>
        source.client.send(new GetObjectCommand({ Bucket: source.bucket, Key: key }), { abortSignal }),
      { discard: (late) => (late.Body as Readable | undefined)?.destroy() },
    );
    const contentLength = output.ContentLength ?? 0;
    const body = output.Body as Readable;
    // The body may wait for a slot before anything reads it. A connection cut meanwhile must fail
    // the read that takes it (the stream is left errored), not the process: the SDK's checksum
    // stream re-emits the socket's error, and with no listener Node throws it (one of 7 soak runs on 2026-12-07).
    body.on("error", () => undefined);
    const state = toSourceState(key, output, contentLength);
    return { state, body, contentLength, rest: restOf(source, state, 0, contentLength) };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Request fields that pin a read to the version in `state`. */
export function pinTo(state: SourceState): { VersionId: string } | { IfMatch: string } {
  return state.versionId ? { VersionId: state.versionId } : { IfMatch: `"${state.etag}"` };
}

export interface SourceBody {
  body: Readable;
  contentLength: number;
  /**
   * Reads this read's bytes from `offset` on, of the same version: the rest of a body whose
   * connection was cut (see pipeSource). Undefined where the answer does not say where it starts.
   */
  rest?: (offset: number, signal: AbortSignal) => Promise<SourceBody>;
}

/** The object offset of a ranged answer's first byte, from its Content-Range (`bytes 0-99/1000`). */
function rangeStart(contentRange: string | undefined): number | undefined {
  const start = /^bytes (\d+)-/.exec(contentRange ?? "")?.[1];
  return start === undefined ? undefined : Number(start);
}

/** The rest of a read of `contentLength` bytes that started at object offset `start`. */
function restOf(source: BucketSide, state: SourceState, start: number, contentLength: number) {
  return (offset: number, signal: AbortSignal) =>
    readSource(source, state, { range: [start + offset, start + contentLength - 1] }, signal);
}

/** GET the whole object, one part of it (mirrored layout) or a byte range, pinned to `state`. */
export async function readSource(
  source: BucketSide,
  state: SourceState,
  slice: { partNumber: number } | { range: [number, number] } | "whole",
  abortSignal?: AbortSignal,
): Promise<SourceBody> {
  let output: GetObjectCommandOutput;
  try {
    output = await source.client.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: state.key,
        ...pinTo(state),
        ...(slice === "whole"
          ? {}
          : "partNumber" in slice
            ? { PartNumber: slice.partNumber }
            : { Range: `bytes=${slice.range[0]}-${slice.range[1]}` }),
      }),
      { abortSignal },
    );
  } catch (error) {
    const status = httpStatusOf(error);
    // 412: the ETag no longer matches. 416: the part number or range, taken from the pinned
    // version, lies beyond the object now there (servers may check it before If-Match).
    const unsatisfiable = status === 416 && slice !== "whole";
    if (status === 412 || unsatisfiable || isNotFound(error) || errorName(error) === "NoSuchVersion") {
      throw new SourceChangedError(`s3://${source.bucket}/${state.key} changed while it was being copied`);
    }
    throw error;
  }
  const body = output.Body as Readable;
  if (typeof slice === "object" && "partNumber" in slice && !output.ContentRange) {
    body.destroy();
    throw new PartReadsIgnoredError(
      `s3://${source.bucket}/${state.key}: the source answered a read of part ${slice.partNumber} with the whole object (it ignores ?partNumber=)`,
    );
  }
  const answeredFrom = rangeStart(output.ContentRange);
  // A range answered from elsewhere (a server or proxy that drops Range sends the whole object)
  // would have its bytes taken for the range's: those of a part, or the rest of a cut read.
  if (typeof slice === "object" && "range" in slice && answeredFrom !== slice.range[0]) {
    body.destroy();
    throw new IntegrityError(
      `s3://${source.bucket}/${state.key}: the source answered a read of bytes ${slice.range[0]}-${slice.range[1]} with ${output.ContentRange ? `"${output.ContentRange}"` : "the whole object (it ignores Range)"}`,
    );
  }
  const contentLength = output.ContentLength ?? 0;
  const start = slice === "whole" ? 0 : answeredFrom;
  return {
    body,
    contentLength,
    rest: start === undefined ? undefined : restOf(source, state, start, contentLength),
  };
}

/** The source's tags as an x-amz-tagging value, or undefined when it has none. */
export async function readSourceTagging(
  source: BucketSide,
  state: SourceState,
  abortSignal?: AbortSignal,
): Promise<string | undefined> {
  if (state.tagCount === 0) return undefined;
  const { TagSet } = await hedgedRead(
    source.client,
    (signal) =>
      source.client.send(
        new GetObjectTaggingCommand({ Bucket: source.bucket, Key: state.key, VersionId: state.versionId }),
        { abortSignal: signal },
      ),
    { signal: abortSignal },
  );
  if (!TagSet?.length) return undefined;
  return TagSet.map(
    (tag) => `${encodeURIComponent(tag.Key ?? "")}=${encodeURIComponent(tag.Value ?? "")}`,
  ).join("&");
}

/**
 * HEAD of the version in `state` (of one of its parts, with `partNumber`); a vanished version is a
 * change. A part's HEAD is pinned by version id only: some servers (moto) answer it with the part's
 * own ETag, which an If-Match on the object's never matches. The ranged reads that follow are
 * pinned, and the parts' MD5s must add up to the object's ETag, so a part size read off a newer
 * object cannot slip through.
 */
async function headPinned(source: BucketSide, state: SourceState, partNumber?: number) {
  const pin = partNumber === undefined ? pinTo(state) : { VersionId: state.versionId };
  try {
    return await hedgedRead(source.client, (abortSignal) =>
      source.client.send(
        new HeadObjectCommand({ Bucket: source.bucket, Key: state.key, PartNumber: partNumber, ...pin }),
        { abortSignal },
      ),
    );
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 412 || status === 404) {
      throw new SourceChangedError(`s3://${source.bucket}/${state.key} changed while it was being copied`);
    }
    throw error;
  }
}

/**
 * When the source version in `state` was written, by the source's clock (Last-Modified, whole
 * seconds), read with a HEAD pinned to that version.
 */
export async function sourceWrittenAt(source: BucketSide, state: SourceState): Promise<number> {
  const head = await headPinned(source, state);
  return head.LastModified?.getTime() ?? Number.POSITIVE_INFINITY;
}

/** HEADs of parts in flight at once while a multipart source's part sizes are read. */
const PART_HEADS_IN_FLIGHT = 16;

/**
 * The byte ranges of a multipart source's parts, from a HEAD ?partNumber=N of each (servers that
 * ignore the parameter on GET may still honour it on HEAD: moto does). Undefined when the sizes do
 * not add up to the object (the server ignores it on HEAD too).
 */
export async function sourcePartRanges(
  source: BucketSide,
  state: SourceState,
  partCount: number,
): Promise<PartRange[] | undefined> {
  const limit = pLimit(PART_HEADS_IN_FLIGHT);
  const sizes = await Promise.all(
    Array.from({ length: partCount }, (_, i) =>
      limit(async () => {
        const head = await headPinned(source, state, i + 1);
        return head.PartsCount === partCount ? (head.ContentLength ?? 0) : 0;
      }),
    ),
  );
  if (sizes.some((size) => size <= 0) || sizes.reduce((a, b) => a + b, 0) !== state.size) return undefined;
  let start = 0;
  return sizes.map((size, i) => {
    const range = { partNumber: i + 1, start, end: start + size - 1, size };
    start += size;
    return range;
  });
}
