import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type BucketSide, normalizeEtag, RetriesExhaustedError, withRetries } from "../engine/index.js";

export interface ListedObject {
  key: string;
  /** The key relative to the listed prefix: what pairs a source object with its target. */
  relativeKey: string;
  size: number;
  etag: string;
}

/**
 * Every object under `prefix`, one page in memory at a time, in S3's UTF-8 byte order. A page is
 * asked for again, up to `attempts` times in all, when its answer was cut off or garbled: the SDK
 * retries failed requests, not answers it could not read, and one lost page would end a whole sync.
 */
export async function* listObjects(
  side: BucketSide,
  prefix: string,
  attempts: number,
): AsyncGenerator<ListedObject> {
  let continuationToken: string | undefined;
  do {
    const token = continuationToken;
    const { value: page } = await withRetries(
      () =>
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
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      yield {
        key: object.Key,
        relativeKey: object.Key.slice(prefix.length),
        size: object.Size ?? 0,
        etag: normalizeEtag(object.ETag),
      };
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
}
