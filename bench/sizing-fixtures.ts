// The S3 side of bench/lambda-sizing.ts: the source bucket and its workloads, a fresh target
// bucket per run (removed after it, so 1 GiB runs do not pile up on disk), the check that a run
// copied everything, and the function's environment.
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { pseudoRandomChunks, uploadMultipart } from "../test/support/generated-objects.js";
import { type S3Server, s3ClientFor } from "../test/support/minio.js";
import type { MotoServer } from "../test/support/moto.js";
import { emptyAndDeleteBucket, listAll } from "../test/support/s3-fixtures.js";
import type { SizingWorkload } from "./sizing-types.js";

const SOURCE_BUCKET = "sizing-source";
const SOURCE_PART_SIZE = 8 * 1024 * 1024;

export interface SizingSides {
  source: S3Server;
  target: S3Server;
  sourceClient: S3Client;
  targetClient: S3Client;
  sourceBucket: string;
}

export async function sidesOf(pair: { source: S3Server; target: S3Server }): Promise<SizingSides> {
  const sourceClient = s3ClientFor(pair.source);
  await sourceClient.send(new CreateBucketCommand({ Bucket: SOURCE_BUCKET }));
  return { ...pair, sourceClient, targetClient: s3ClientFor(pair.target), sourceBucket: SOURCE_BUCKET };
}

export async function seedWorkload(
  sides: SizingSides,
  workload: SizingWorkload,
  keyOf: (workload: SizingWorkload, i: number) => string,
): Promise<void> {
  const limit = pLimit(workload.multipart ? 2 : 32);
  await Promise.all(
    Array.from({ length: workload.objects }, (_, i) =>
      limit(async () => {
        const key = keyOf(workload, i);
        const seed = `sizing:${key}`;
        if (workload.multipart) {
          const options = { size: workload.objectSize, partSize: SOURCE_PART_SIZE, seed };
          await uploadMultipart(sides.sourceClient, sides.sourceBucket, key, options);
          return;
        }
        const Body = Buffer.concat([...pseudoRandomChunks(seed, workload.objectSize)]);
        await sides.sourceClient.send(new PutObjectCommand({ Bucket: sides.sourceBucket, Key: key, Body }));
      }),
    ),
  );
}

/** What is wrong with the target after a run, or undefined when it holds every object whole. */
export async function targetMatches(
  sides: SizingSides,
  bucket: string,
  workload: SizingWorkload,
): Promise<string | undefined> {
  const listed = await listAll(sides.targetClient, bucket);
  const whole = listed.filter((entry) => entry.size === workload.objectSize).length;
  if (whole !== workload.objects) return `target holds ${whole} of ${workload.objects} objects whole`;
  const uploads = await sides.targetClient.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  const open = uploads.Uploads?.length ?? 0;
  return open > 0 ? `${open} multipart upload(s) left open` : undefined;
}

/** Runs `fn` with a new, empty target bucket, then empties and removes it. */
export async function withTargetBucket<T>(
  sides: SizingSides,
  bucket: string,
  fn: (bucket: string) => Promise<T>,
): Promise<T> {
  await sides.targetClient.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    return await fn(bucket);
  } finally {
    await emptyAndDeleteBucket(sides.targetClient, bucket);
  }
}

/**
 * The function's environment as the stack sets it, less the per-run parts (target bucket and
 * endpoint, queue, category): the source read with the function's own role (here the source's
 * keys as the default chain), the target keys from the secret in moto.
 */
export function functionEnv(
  sides: SizingSides,
  moto: MotoServer,
  secretName: string,
): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("AWS_"),
  );
  return {
    ...Object.fromEntries(inherited),
    ...moto.env(),
    AWS_ACCESS_KEY_ID: sides.source.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sides.source.secretAccessKey,
    SOURCE_REGION: sides.source.region,
    TARGET_REGION: sides.target.region,
    SOURCE_BUCKET: sides.sourceBucket,
    SOURCE_ENDPOINT: sides.source.endpoint,
    SECRETS_MANAGER_SECRET_NAME: secretName,
    RETRY_ATTEMPTS: "3",
  };
}
