import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { normalizeEtag } from "./etag.js";
import { hedgedRead } from "./hedged-reads.js";
import { paginate } from "./paginate.js";
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

/** The pages of objects under `prefix`, from `token` on (see paginate: each page is retried). */
function listPages(side: BucketSide, prefix: string, token: string | undefined, attempts: number) {
  return paginate<ListObjectsV2CommandOutput>({
    what: `ListObjectsV2 of s3://${side.bucket}/${prefix}`,
    attempts,
    start: token,
    fetch: (marker) =>
      hedgedRead(side.client, (abortSignal) =>
        side.client.send(
          new ListObjectsV2Command({
            Bucket: side.bucket,
            Prefix: prefix || undefined,
            ContinuationToken: marker,
          }),
          { abortSignal },
        ),
      ),
    next: (page) => ({ truncated: page.IsTruncated === true, marker: page.NextContinuationToken }),
  });
}

function listedPage(page: ListObjectsV2CommandOutput, prefix: string): ListedPage {
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

/** One page of the objects under `prefix`, starting at `token` (a backfill's page of an earlier run). */
export async function listPage(
  side: BucketSide,
  prefix: string,
  token: string | undefined,
  attempts: number,
): Promise<ListedPage> {
  const pages = listPages(side, prefix, token, attempts);
  const { value } = await pages.next();
  await pages.return(undefined);
  return listedPage(value as ListObjectsV2CommandOutput, prefix);
}

/** Every object under `prefix`, one page in memory at a time, in S3's UTF-8 byte order. */
export async function* listObjects(
  side: BucketSide,
  prefix: string,
  attempts: number,
): AsyncGenerator<ListedObject> {
  for await (const page of listPages(side, prefix, undefined, attempts))
    yield* listedPage(page, prefix).objects;
}
