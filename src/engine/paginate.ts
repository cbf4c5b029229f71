import { EndlessListingError } from "./errors.js";
import { RetriesExhaustedError, withRetries } from "./retry.js";

export interface Pagination<P> {
  /** Names the listing in errors, e.g. "ListParts of s3://bucket/key". */
  what: string;
  /** Attempts per page, including the first. */
  attempts: number;
  /** Where the listing starts (a marker from an earlier run), if not at the beginning. */
  start?: string;
  fetch(marker: string | undefined): Promise<P>;
  /** Whether the page is truncated, and the marker of the next page. */
  next(page: P): { truncated: boolean; marker?: string };
}

/**
 * The pages of a listing, in order. Every loop over a server's answers needs a bound, and a
 * listing's only bound is its marker: a truncated page with no next marker, or one that repeats a
 * marker already asked for, would loop for ever, so it is an error. A page is asked for again, up
 * to `attempts` times in all, when its answer could not be read (cut off or garbled: the SDK
 * retries failed requests, not answers it could not parse) or had such a marker; then the cause is
 * reported, not the count.
 */
export async function* paginate<P>(pagination: Pagination<P>): AsyncGenerator<P> {
  const asked = new Set<string | undefined>([pagination.start]);
  let marker = pagination.start;
  for (;;) {
    const { value: page } = await withRetries(
      async () => {
        const answer = await pagination.fetch(marker);
        const { truncated, marker: next } = pagination.next(answer);
        if (truncated && (!next || asked.has(next))) {
          throw new EndlessListingError(
            `${pagination.what}: the server answered a truncated page with ${next ? "a marker it gave before" : "no next marker"}`,
          );
        }
        return answer;
      },
      { attempts: pagination.attempts },
    ).catch((error: unknown) => {
      throw error instanceof RetriesExhaustedError ? error.lastError : error;
    });
    yield page;
    const { truncated, marker: next } = pagination.next(page);
    if (!truncated) return;
    asked.add(next);
    marker = next;
  }
}
