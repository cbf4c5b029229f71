import { STORAGE_CLASSES, type StorageClass, type TargetEncryption } from "../engine/index.js";

// The text of a flag or an environment variable for the target objects' settings. Each boundary
// words its own error (it names the flag or the variable), so these return undefined for text
// they cannot read.

/** The storage class `text` names exactly (S3's upper-case names), or undefined. */
export function parseStorageClass(text: string): StorageClass | undefined {
  return STORAGE_CLASSES.find((name) => name === text);
}

/**
 * Server-side encryption by mode: none (also when no mode is given), `AES256` (SSE-S3) or
 * `aws:kms` (SSE-KMS, with the given key or else the AWS managed one); undefined for another mode.
 */
export function parseEncryption(
  mode: string | undefined,
  kmsKeyId: string | undefined,
): TargetEncryption | undefined {
  if (mode === undefined || mode === "none") return { kind: "none" };
  if (mode === "AES256") return { kind: "sse-s3" };
  if (mode === "aws:kms") return { kind: "sse-kms", keyId: kmsKeyId };
  return undefined;
}
