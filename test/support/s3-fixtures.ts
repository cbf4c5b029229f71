// Helpers for integration tests: create buckets, put objects (whole or in parts), read them back
// and take snapshots of a bucket to prove that a command wrote nothing.
import { createHash, randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createEngine, type Engine, type EngineHooks, type EngineOptions } from "../../src/engine/index.js";

export const MiB = 1024 * 1024;

let bucketCounter = 0;

/** A bucket name no other test in this process uses (valid S3 name: lowercase, 3–63 chars). */
export function uniqueBucket(label: string): string {
  bucketCounter++;
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 30);
  return `${clean}-${bucketCounter}-${randomBytes(3).toString("hex")}`;
}

export async function createBucket(client: S3Client, label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Random bytes that differ from run to run, so no test passes on stale data. */
export function bytesOf(size: number): Buffer {
  return randomBytes(size);
}

export function md5Hex(data: Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

export function unquote(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "");
}

export type PutExtras = Omit<PutObjectCommandInput, "Bucket" | "Key" | "Body">;

/** One PUT; returns the ETag without quotes. */
export async function putObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  extras: PutExtras = {},
): Promise<string> {
  const result = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extras }));
  return unquote(result.ETag);
}

/** A multipart upload in parts of `partSize` (the last one shorter); returns the "<md5>-N" ETag. */
export async function putMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  partSize: number,
): Promise<string> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { PartNumber: number; ETag: string }[] = [];
  for (let start = 0, partNumber = 1; start < body.length; start += partSize, partNumber++) {
    const part = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: partNumber,
        Body: body.subarray(start, Math.min(start + partSize, body.length)),
      }),
    );
    parts.push({ PartNumber: partNumber, ETag: part.ETag ?? "" });
  }
  const done = await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return unquote(done.ETag);
}

export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await result.Body?.transformToByteArray()) ?? new Uint8Array());
}

export async function head(client: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

/** Tags as a plain object, sorted by key. */
export async function tagsOf(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const entries = (TagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface ListedEntry {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

/** Every object in the bucket (under `prefix`), in listing order. */
export async function listAll(client: S3Client, bucket: string, prefix?: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      entries.push({
        key: object.Key ?? "",
        size: object.Size ?? 0,
        etag: unquote(object.ETag),
        lastModified: object.LastModified?.getTime() ?? 0,
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return entries;
}

export async function listKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  return (await listAll(client, bucket, prefix)).map((entry) => entry.key);
}

/** Incomplete multipart uploads in the bucket, as "key uploadId". */
export async function incompleteUploads(client: S3Client, bucket: string): Promise<string[]> {
  const result = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (result.Uploads ?? []).map((upload) => `${upload.Key} ${upload.UploadId}`);
}

/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

/** Deletes every object and open multipart upload in the bucket, then the bucket. */
export async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  const keys = (await listAll(client, bucket)).map((entry) => ({ Key: entry.key }));
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const Objects = keys.slice(i, i + DELETE_BATCH);
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const upload of uploads.Uploads ?? []) {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
    );
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export async function bucketNames(client: S3Client): Promise<string[]> {
  const { Buckets } = await client.send(new ListBucketsCommand({}));
  return (Buckets ?? []).map((b) => b.Name ?? "").sort();
}

/** Everything a command could have changed on a server: its buckets, their objects and uploads. */
export async function snapshotServer(client: S3Client): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const bucket of await bucketNames(client)) {
    snapshot[bucket] = {
      objects: await listAll(client, bucket),
      uploads: await incompleteUploads(client, bucket),
    };
  }
  return snapshot;
}

export const TEST_ENGINE_OPTIONS: EngineOptions = {
  concurrency: 4,
  partSize: 5 * MiB,
  attempts: 3,
  stallTimeoutMs: 30_000,
  encryption: { kind: "none" },
};

export function engineBetween(
  source: { client: S3Client; bucket: string },
  target: { client: S3Client; bucket: string },
  options: Partial<EngineOptions> = {},
  hooks: EngineHooks = {},
): Engine {
  return createEngine({ source, target, options: { ...TEST_ENGINE_OPTIONS, ...options }, hooks });
}

/** The non-empty lines of a command's stderr. */
export function stderrLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "");
}

/** Builds a key of exactly `bytes` UTF-8 bytes from segments of at most 200 bytes (MinIO caps a segment at 255). */
export function keyOfLength(bytes: number, prefix = "long/"): string {
  let key = prefix;
  let segment = 0;
  while (Buffer.byteLength(key) < bytes) {
    const room = bytes - Buffer.byteLength(key);
    if (room <= 200) {
      key += "k".repeat(room);
    } else {
      const char = String.fromCharCode(97 + (segment % 26));
      key += `${char.repeat(199)}/`;
      segment++;
    }
  }
  return key;
}
