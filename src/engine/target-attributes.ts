import { isPlainMd5Etag, normalizeEtag } from "./etag.js";
import type { ContentHeaders, SourceState } from "./source-state.js";
import { headObject } from "./source-state.js";
import type { BucketSide, EngineOptions } from "./types.js";

/**
 * The one metadata key the tool adds to a target object: the ETag of the source version it holds.
 * It lets a later run recognise the copy when the two ETags cannot be equal (the target encrypts
 * with SSE-KMS, or a single-part source was copied in parts).
 */
export const SOURCE_ETAG_METADATA_KEY = "s3xsync-source-etag";

export interface TargetAttributes extends ContentHeaders {
  Metadata: Record<string, string>;
  Tagging?: string;
  StorageClass?: EngineOptions["storageClass"];
  ServerSideEncryption?: "AES256" | "aws:kms";
  SSEKMSKeyId?: string;
}

export function targetAttributes(state: SourceState, tagging: string | undefined, options: EngineOptions) {
  const attributes: TargetAttributes = {
    ...state.headers,
    Metadata: { ...state.metadata, [SOURCE_ETAG_METADATA_KEY]: state.etag },
    Tagging: tagging,
    StorageClass: options.storageClass,
  };
  if (options.encryption.kind === "sse-s3") attributes.ServerSideEncryption = "AES256";
  if (options.encryption.kind === "sse-kms") {
    attributes.ServerSideEncryption = "aws:kms";
    attributes.SSEKMSKeyId = options.encryption.keyId;
  }
  return attributes;
}

/** User metadata as the user set it, without the tool's own key. */
export function userMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const { [SOURCE_ETAG_METADATA_KEY]: _marker, ...rest } = metadata ?? {};
  return rest;
}

export interface TargetState {
  size: number;
  etag: string;
  /**
   * The ETag is the MD5 of the object's bytes: a single-part object stored without SSE-KMS or
   * SSE-C. A composite (multipart) or encrypted object's ETag is not.
   */
  etagIsMd5: boolean;
  /** The source ETag our marker names, if the object carries it. */
  sourceEtag?: string;
}

export async function headTarget(
  target: BucketSide,
  key: string,
  abortSignal?: AbortSignal,
): Promise<TargetState | undefined> {
  const head = await headObject(target, key, abortSignal);
  if (!head) return undefined;
  const etag = normalizeEtag(head.ETag);
  const encrypted =
    Boolean(head.SSECustomerAlgorithm) || (head.ServerSideEncryption ?? "").startsWith("aws:kms");
  return {
    size: head.ContentLength ?? 0,
    etag,
    etagIsMd5: isPlainMd5Etag(etag) && !encrypted,
    sourceEtag: head.Metadata?.[SOURCE_ETAG_METADATA_KEY],
  };
}

/**
 * The target holds the bytes of this source version: equal sizes, and equal ETags, or our marker
 * names the source's ETag where the two ETags cannot be equal for the same bytes: the target's is
 * not an MD5 of its bytes (composite, SSE-KMS, SSE-C), or the source's is not (SSE-KMS, SSE-C).
 * Where both are MD5s of the bytes a marker proves nothing: an object overwritten with other bytes
 * keeps the metadata it was given, marker included.
 */
export function holdsSameContent(
  source: { etag: string; size: number; opaqueEtag: boolean },
  target: TargetState,
): boolean {
  if (target.size !== source.size) return false;
  if (target.etag === source.etag) return true;
  return target.sourceEtag === source.etag && (!target.etagIsMd5 || source.opaqueEtag);
}

/**
 * Only the source's own HEAD can settle whether the marker may stand in: the target's ETag is an
 * MD5, the marker names the source's ETag, and a listing does not say whether that one is an MD5.
 */
export function markerNeedsSourceHead(source: { etag: string; size: number }, target: TargetState): boolean {
  return (
    target.size === source.size &&
    target.etagIsMd5 &&
    target.sourceEtag === source.etag &&
    target.etag !== source.etag
  );
}
