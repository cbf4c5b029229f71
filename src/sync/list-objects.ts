import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type BucketSide, normalizeEtag } from "../engine/index.js";

export interface ListedObject {
  key: string;
  /** The key relative to the listed prefix: what pairs a source object with its target. */
  relativeKey: string;
  size: number;
  etag: string;
}

/** Every object under `prefix`, one page in memory at a time, in S3's UTF-8 byte order. */
export async function* listObjects(side: BucketSide, prefix: string): AsyncGenerator<ListedObject> {
  let continuationToken: string | undefined;
  do {
    const page = await side.client.send(
      new ListObjectsV2Command({
        Bucket: side.bucket,
        Prefix: prefix || undefined,
        ContinuationToken: continuationToken,
      }),
    );
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
