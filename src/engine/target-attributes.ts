import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { normalizeEtag } from "./etag.js";
import type { ContentHeaders, SourceState } from "./source-state.js";
import { isNotFound } from "./source-state.js";
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
  sourceEtag?: string;
}

export async function headTarget(target: BucketSide, key: string): Promise<TargetState | undefined> {
  try {
    const head = await target.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
    return {
      size: head.ContentLength ?? 0,
      etag: normalizeEtag(head.ETag),
      sourceEtag: head.Metadata?.[SOURCE_ETAG_METADATA_KEY],
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The target holds the bytes of this source version: equal ETags, or our marker names it. */
export function holdsSameContent(source: { etag: string; size: number }, target: TargetState): boolean {
  return target.size === source.size && (target.etag === source.etag || target.sourceEtag === source.etag);
}
