// Large test objects made of deterministic pseudo-random bytes (AES-128-CTR over zeros, keyed by
// a seed), uploaded without ever holding more than one part in the test process.
import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

export const MiB = 1024 * 1024;
const CHUNK = MiB;

/** `size` bytes of the seed's stream, in chunks of at most 1 MiB; the same seed gives the same bytes. */
export function* pseudoRandomChunks(seed: string, size: number): Generator<Buffer> {
  const key = createHash("md5").update(`key:${seed}`).digest();
  const iv = createHash("md5").update(`iv:${seed}`).digest();
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  const zeros = Buffer.alloc(CHUNK);
  for (let left = size; left > 0; left -= CHUNK) {
    yield cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left));
  }
}

/** Collects the next `size` bytes from an iterator of chunks that all end on a `size` multiple. */
function take(chunks: Iterator<Buffer>, size: number): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const next = chunks.next();
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  if (length !== size) throw new Error(`generator gave ${length} bytes where ${size} were expected`);
  return Buffer.concat(parts);
}

export interface Uploaded {
  etag: string;
  size: number;
  /** MD5 (hex) of the whole object. */
  md5Hex: string;
}

const unquote = (etag: string | undefined) => (etag ?? "").replace(/"/g, "");

/** Headers stored with a generated object. */
export interface ObjectAttributes {
  ContentType?: string;
  Metadata?: Record<string, string>;
}

/** A multipart source object, uploaded one part at a time (`partSize` must be a multiple of 1 MiB). */
export async function uploadMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  opts: { size: number; partSize: number; seed: string; attributes?: ObjectAttributes },
): Promise<Uploaded> {
  if (opts.partSize % CHUNK !== 0) throw new Error("partSize must be a multiple of 1 MiB");
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...opts.attributes }),
  );
  const chunks = pseudoRandomChunks(opts.seed, opts.size);
  const whole = createHash("md5");
  const parts: { PartNumber: number; ETag: string }[] = [];
  for (let offset = 0, partNumber = 1; offset < opts.size; offset += opts.partSize, partNumber++) {
    const body = take(chunks, Math.min(opts.partSize, opts.size - offset));
    whole.update(body);
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: partNumber, Body: body }),
    );
    parts.push({ PartNumber: partNumber, ETag: ETag ?? "" });
  }
  const completed = await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return { etag: unquote(completed.ETag), size: opts.size, md5Hex: whole.digest("hex") };
}

/** A single-part source object, streamed in one PutObject from the generator. */
export async function putStreamed(
  client: S3Client,
  bucket: string,
  key: string,
  opts: { size: number; seed: string; attributes?: ObjectAttributes },
): Promise<Uploaded> {
  const whole = createHash("md5");
  const body = Readable.from(
    (function* () {
      for (const chunk of pseudoRandomChunks(opts.seed, opts.size)) {
        whole.update(chunk);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  const put = await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: opts.size,
      ...opts.attributes,
    }),
  );
  return { etag: unquote(put.ETag), size: opts.size, md5Hex: whole.digest("hex") };
}

/** MD5 (hex) and length of an object's bytes, streamed. */
export async function digestObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ md5Hex: string; size: number }> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash("md5");
  let size = 0;
  for await (const chunk of Body as Readable) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5Hex: hash.digest("hex"), size };
}

/** Incomplete multipart uploads of exactly this key. */
export async function uploadsOf(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return (page.Uploads ?? []).filter((u) => u.Key === key && u.UploadId).map((u) => u.UploadId as string);
}

/** The parts stored so far in one upload (number → size). */
export async function partsOf(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<Map<number, number>> {
  const parts = new Map<number, number>();
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
    );
    for (const part of page.Parts ?? []) {
      if (part.PartNumber !== undefined) parts.set(part.PartNumber, part.Size ?? 0);
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return parts;
}
