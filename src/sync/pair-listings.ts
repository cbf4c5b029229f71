import type { ListedObject } from "../engine/index.js";

export interface ListedPair {
  relativeKey: string;
  source?: ListedObject;
  target?: ListedObject;
}

/** S3 orders keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 string order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Walks two sorted listings side by side (a merge join), pairing objects by relative key, so
 * neither listing is ever held in memory whole.
 */
export async function* pairListings(
  source: AsyncIterable<ListedObject>,
  target: AsyncIterable<ListedObject>,
): AsyncGenerator<ListedPair> {
  const sources = source[Symbol.asyncIterator]();
  const targets = target[Symbol.asyncIterator]();
  let s = await sources.next();
  let t = await targets.next();
  while (!s.done || !t.done) {
    const order = s.done ? 1 : t.done ? -1 : compareKeys(s.value.relativeKey, t.value.relativeKey);
    if (order === 0 && !s.done && !t.done) {
      yield { relativeKey: s.value.relativeKey, source: s.value, target: t.value };
      [s, t] = await Promise.all([sources.next(), targets.next()]);
    } else if (order < 0 && !s.done) {
      yield { relativeKey: s.value.relativeKey, source: s.value };
      s = await sources.next();
    } else if (!t.done) {
      yield { relativeKey: t.value.relativeKey, target: t.value };
      t = await targets.next();
    }
  }
}
