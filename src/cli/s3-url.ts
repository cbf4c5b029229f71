import { UsageError } from "../user-facing/errors.js";

export interface S3Location {
  bucket: string;
  /** Key or prefix; empty for the whole bucket. */
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://BUCKET[/KEY]`; `what` names the argument in errors ("source", "target"). */
export function parseS3Url(text: string, what: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/s.exec(text);
  if (!match) throw new UsageError(`${what} "${text}" is not an s3:// URL (expected s3://BUCKET[/KEY])`);
  const bucket = match[1] ?? "";
  if (!BUCKET.test(bucket)) throw new UsageError(`${what} "${text}": "${bucket}" is not a valid bucket name`);
  return { bucket, key: match[2] ?? "" };
}

/** A prefix names a folder: `photos` means `photos/`, as in `aws s3 sync`. */
export function asFolderPrefix(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/** The target key for `copy`: the same key, or the source's file name under a target folder. */
export function copyTargetKey(sourceKey: string, target: S3Location): string {
  if (target.key === "") return sourceKey;
  if (target.key.endsWith("/")) return target.key + (sourceKey.split("/").pop() ?? sourceKey);
  return target.key;
}
