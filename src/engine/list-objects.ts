import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { normalizeEtag } from "./etag.js";
import { RetriesExhaustedError, withRetries } from "./retry.js";
import type { BucketSide } from "./types.js";

export interface ListedObject {
  key: string;
  /** The key relative to the listed prefix: what pairs a source object with its target. */
  relativeKey: string;
  size: number;
  etag: string;
}

export interface ListedPage {
  objects: ListedObject[];
  /** Where the next page starts; undefined on the last page. */
  nextToken?: string;
}

/**
 * One page of the objects under `prefix`. A page is asked for again, up to `attempts` times in all,
 * when its answer was cut off or garbled: the SDK retries failed requests, not answers it could not
 * read, and one lost page would end a whole sync.
 */
export async function listPage(
  side: BucketSide,
  prefix: string,
  token: string | undefined,
  attempts: number,
): Promise<ListedPage> {
  const { value: page } = await withRetries(
    (): Promise<ListObjectsV2CommandOutput> =>
      side.client.send(
        new ListObjectsV2Command({
          Bucket: side.bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
        }),
      ),
    { attempts },
  ).catch((error: unknown) => {
    // The cause, not the count, is what the user can act on.
    throw error instanceof RetriesExhaustedError ? error.lastError : error;
  });
  const objects: ListedObject[] = [];
  for (const object of page.Contents ?? []) {
    if (object.Key === undefined) continue;
    objects.push({
      key: object.Key,
      relativeKey: object.Key.slice(prefix.length),
      size: object.Size ?? 0,
      etag: normalizeEtag(object.ETag),
    });
  }
  return { objects, nextToken: page.IsTruncated ? page.NextContinuationToken : undefined };
}

/** Every object under `prefix`, one page in memory at a time, in S3's UTF-8 byte order. */
export async function* listObjects(
  side: BucketSide,
  prefix: string,
  attempts: number,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await listPage(side, prefix, token, attempts);
    yield* page.objects;
    token = page.nextToken;
  } while (token);
}
