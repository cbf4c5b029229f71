import { hedgeThreshold, keepRecent, raceRuns } from "./hedged-transfers.js";

/** The recent answer times of each client's reads (a link's round trips, its server's pace). */
const answerTimes = new WeakMap<object, number[]>();

export interface HedgedReadOptions<T> {
  /** Cancels the read and its hedge. */
  signal?: AbortSignal;
  /** Frees an answer that came after the other read's (a GET's body, which holds its connection). */
  discard?: (late: T) => void;
}

/**
 * Sends a read that moves no bytes of its own (a HEAD, a listing page, a GET up to its answer's
 * headers) once more on another connection when it has not been answered by the hedge threshold
 * of the client's recent reads (see hedgeThreshold: 1.2-1.5 x their median, at least 2 s). The
 * first answer wins; the other read is aborted, or its late answer discarded. A stalled read would
 * otherwise hold its caller until the stall ends or the socket's idle timeout fires (the stall
 * timeout, 30 s by default): on the long-fat link 1 % of requests stall for 5-20 s, and a listing
 * waits on each of its pages in turn. A read that fails while its hedge runs waits for the hedge;
 * one that fails before the threshold is not hedged. `read` is called once per send and builds
 * its command afresh: the SDK adds a command's own middleware each time it is sent.
 */
export function hedgedRead<T>(
  client: object,
  read: (signal: AbortSignal) => Promise<T>,
  options: HedgedReadOptions<T> = {},
): Promise<T> {
  const times = answerTimes.get(client) ?? [];
  answerTimes.set(client, times);
  const startedAt = Date.now();
  return new Promise<T>((resolve, reject) => {
    const race = raceRuns<T>("a hedge of the same read was answered first", {
      won: (value) => {
        clearTimeout(timer);
        keepRecent(times, Date.now() - startedAt);
        resolve(value);
      },
      failed: (error) => {
        clearTimeout(timer);
        reject(error);
      },
      late: options.discard,
    });
    const { signal } = options;
    const launch = () => race.launch((own) => read(signal ? AbortSignal.any([own, signal]) : own));
    const timer = setTimeout(() => {
      if (!race.settled && !signal?.aborted) launch();
    }, hedgeThreshold(times));
    launch();
  });
}
