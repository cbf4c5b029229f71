import type { Engine, ListedObject } from "../engine/index.js";

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
  let [s, t] = await Promise.all([sources.next(), targets.next()]);
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

/**
 * The pairs of both sides' listings under their prefixes. Both listings start at once, while
 * `reachable` (the buckets being proven reachable) is pending: a round trip saved. No pair comes
 * before it resolves, and when it rejects, its error is the one thrown.
 */
export async function* listPairs(
  engine: Engine,
  prefixes: { source: string; target: string },
  reachable: Promise<void>,
): AsyncGenerator<ListedPair> {
  const pairs = pairListings(engine.list("source", prefixes.source), engine.list("target", prefixes.target));
  const first = pairs.next();
  // A listing that fails on a bucket the proof finds unreachable tells less than the proof.
  first.catch(() => undefined);
  await reachable;
  try {
    for (let pair = await first; !pair.done; pair = await pairs.next()) yield pair.value;
  } finally {
    await pairs.return(undefined);
  }
}
