import { CancelledError } from "./errors.js";

/**
 * A transfer is hedged once it has run well past the typical recent one: by SPREADS_PAST_MEDIAN
 * times how far the slower tenth of them run past the median, kept within these multiples of the
 * median. Alike transfers are told from a stalled one early: the parts of 1 GiB on the long-fat
 * link ran 6.15-6.31 s, and one stalled part, hedged at 1.5 x (9.3 s), held the copy 4.7 s past
 * the others; transfers of unlike sizes (a 1 KiB object beside a 4 MiB one) keep the 1.5 x.
 */
const HEDGE_AFTER_MEDIANS = { least: 1.2, most: 1.5 };
const SPREADS_PAST_MEDIAN = 3;
/** ...and at least this long: on loopback no transfer is ever that slow without a fault. */
const MIN_HEDGE_MS = 2_000;
/**
 * A transfer still reading that has moved bytes, then none for this long, is hedged at once, late
 * or not: healthy ones move a chunk every 50-100 ms on the long links (64 KiB at a 64th of the
 * link). 1 GiB in parts on the long-fat link, each run with one part stalled early in its body,
 * two seeds: 22.1 and 19.9 s hedged only when late, 18.3-18.7 and 18.8-18.9 s with this. What the
 * kernel's socket buffers take (about 4 MiB on loopback) is out of sight: a stall there, or in
 * the answer, shows only as being late.
 */
const QUIET_HEDGE_MS = 2_000;
/**
 * ...or twice the longest pause its peers make and recover from, where that is more: 64 parts
 * sharing the cross-border link's 40 MB/s wait 2-2.5 s at a time for the kernel's socket buffer to
 * drain, and a fixed 2 s hedged 81 of 128 healthy parts of 1 GiB, 1,825 MB over the link and 22.1
 * MB/s; with this 1 hedge, 1,114 MB and 34.7 MB/s (one run each, same seed; long-fat unchanged,
 * 18.4 and 18.5 s).
 */
const QUIET_GAP_TIMES = 2;
/**
 * More of the transfers in flight than this share quiet, or late, at once: the link stopped or
 * slowed, not they, and hedges would only add connections to it. Late ones were hedged however
 * many: a single-part source across the cross-border link started 27 parts together when its
 * window reopened, they shared the link 1.5 MB/s each, ran past 1.2 x the parts before them,
 * and 20 hedges at once slowed them further and threw away the bytes of the 19 originals that
 * won, which the ordered MD5 then read again one at a time: 76 s for 1 GiB, 33 s in runs without.
 */
const HEDGED_SHARE = 0.25;
/**
 * ...though this many late ones are hedged whatever the share: a tail this short leaves the link
 * room, and two objects of 64 x 4 MiB stalled before their answers on the long-fat link were the
 * last two in flight, 2 of 2 late, and waited out their stalls (16.6 s against 8.8).
 */
const LATE_HEDGED_ANYWAY = 4;
/** Recent values kept for a median: transfer durations, their pauses, reads' answer times. */
const DURATIONS_KEPT = 32;
/** Fewer finished transfers than this: no typical duration yet, no hedging. */
const MIN_DURATIONS = 4;
/** How often transfers in flight are looked at. */
const CHECK_MS = 250;

/** The value a `share` of the way up sorted `values` (0 for none). */
function valueAt(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;
}

/** Adds `value` to recent `values`, dropping the oldest past DURATIONS_KEPT. */
export function keepRecent(values: number[], value: number): void {
  values.push(value);
  if (values.length > DURATIONS_KEPT) values.shift();
}

/** How long a transfer may run before it is hedged, from the durations of recent ones. */
export function hedgeThreshold(durations: readonly number[]): number {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (share: number) => valueAt(sorted, share);
  const median = at(0.5);
  const pastMedian = median + SPREADS_PAST_MEDIAN * (at(0.9) - median);
  const bounded = Math.min(
    HEDGE_AFTER_MEDIANS.most * median,
    Math.max(HEDGE_AFTER_MEDIANS.least * median, pastMedian),
  );
  return Math.max(MIN_HEDGE_MS, bounded);
}

/** One run of a hedged transfer, as its work sees it. */
export interface HedgedRun {
  /** Aborts the run when the other run of the same transfer finished first. */
  signal: AbortSignal;
  /** Bytes moved through the transfer. */
  moved(): void;
  /** Every byte was read: what is left is the target's answer. */
  allRead(): void;
}

interface Flight {
  startedAt: number;
  /** When the first run last moved bytes. */
  movedAt?: number;
  /** The longest the first run has gone without moving bytes, and then moved again. */
  longestGap: number;
  reading: boolean;
  hedged: boolean;
  hedge(): void;
}

const IGNORED = () => {};

function moved(flight: Flight): void {
  const now = Date.now();
  if (flight.movedAt !== undefined) flight.longestGap = Math.max(flight.longestGap, now - flight.movedAt);
  flight.movedAt = now;
}

/** Runs of one piece of work, started one after another: a first one, then its hedges. */
export interface RunRace<T> {
  /** Starts one more run; its signal aborts it when another run has won. */
  launch(work: (signal: AbortSignal) => Promise<T>): void;
  readonly settled: boolean;
}

/**
 * The first run to succeed wins (`won`) and the others are aborted; `late` hears a success that
 * came after it. The race fails (`failed`, with the first failure) once every run has failed.
 */
export function raceRuns<T>(
  lostBecause: string,
  on: { won(value: T): void; failed(error: unknown): void; late?(value: T): void },
): RunRace<T> {
  const controllers: AbortController[] = [];
  let running = 0;
  let settled = false;
  let firstError: unknown;
  return {
    get settled() {
      return settled;
    },
    launch(work) {
      const controller = new AbortController();
      controllers.push(controller);
      running++;
      work(controller.signal).then(
        (value) => {
          running--;
          if (settled) {
            on.late?.(value);
            return;
          }
          settled = true;
          // Most races have one run: building the error (its stack) took 68 ms of the 7.9 CPU-s of a
          // 2,000 x 16 KiB sync on loopback, 4,000 races.
          if (controllers.length > 1) {
            const lost = new CancelledError(lostBecause);
            for (const other of controllers) if (other !== controller) other.abort(lost);
          }
          on.won(value);
        },
        (error: unknown) => {
          running--;
          firstError ??= error;
          if (settled || running > 0) return;
          settled = true;
          on.failed(firstError);
        },
      );
    },
  };
}

/**
 * Hedged transfers: a transfer that stopped moving bytes, or at the tail of a run (no work waits
 * for a slot) one that has taken far longer than its peers, is started a second time on a fresh
 * connection, and the first of the two to finish wins; the other is cancelled. A long link stalls
 * some connections for seconds without breaking them (1 % of requests for 5-20 s on the long-fat
 * profile): under the stall timeout nothing fails, but the copy waits on its slowest part. Both
 * transfers carry the same bytes to the same part number or key, so whichever the target keeps,
 * it holds the same object.
 */
export class Hedger {
  private readonly flights = new Set<Flight>();
  private readonly durations: number[] = [];
  private readonly gaps: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** `workWaits`: work is waiting for a slot (then slots go to it, not to hedges). */
  constructor(private readonly workWaits: () => boolean) {}

  /** Runs `work`, once more beside itself if it falls far behind or goes quiet. */
  run<T>(work: (run: HedgedRun) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const flight: Flight = {
        startedAt: Date.now(),
        longestGap: 0,
        reading: true,
        hedged: false,
        hedge: () => {
          flight.hedged = true;
          launch();
        },
      };
      const finish = () => {
        this.flights.delete(flight);
        if (this.flights.size === 0) this.stopChecking();
      };
      const race = raceRuns<T>("a hedge of the same transfer finished first", {
        won: (value) => {
          keepRecent(this.durations, Date.now() - flight.startedAt);
          if (!flight.hedged) keepRecent(this.gaps, flight.longestGap);
          finish();
          resolve(value);
        },
        failed: (error) => {
          finish();
          reject(error);
        },
      });
      let launched = 0;
      const launch = () => {
        const first = launched++ === 0;
        race.launch((signal) =>
          work({
            signal,
            moved: first ? () => moved(flight) : IGNORED,
            allRead: first ? () => (flight.reading = false) : IGNORED,
          }),
        );
      };
      launch();
      this.flights.add(flight);
      this.startChecking();
    });
  }

  /** How long a transfer may go without moving bytes: QUIET_GAP_TIMES its peers' typical longest pause. */
  private quietAfter(open: readonly Flight[]): number {
    const paused = open.map((flight) => flight.longestGap).filter((gap) => gap > 0);
    const gaps = [...this.gaps, ...paused].sort((a, b) => a - b);
    return Math.max(QUIET_HEDGE_MS, QUIET_GAP_TIMES * valueAt(gaps, 0.5));
  }

  private startChecking(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  private stopChecking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = Date.now();
    const open = [...this.flights].filter((flight) => !flight.hedged);
    const quietAfter = this.quietAfter(open);
    const quiet = open.filter((flight) => flight.reading && now - (flight.movedAt ?? now) > quietAfter);
    // A quiet transfer holds a slot and none of the link, so its hedge takes nothing from waiting
    // work; unless so many are quiet that the link itself has stopped, where hedges would only
    // double the connections waiting on it.
    const hedgeable = Math.max(1, HEDGED_SHARE * this.flights.size);
    if (quiet.length <= hedgeable) for (const flight of quiet) flight.hedge();
    if (this.workWaits() || this.durations.length < MIN_DURATIONS) return;
    const threshold = hedgeThreshold(this.durations);
    const late = open.filter((flight) => !flight.hedged && now - flight.startedAt > threshold);
    if (late.length <= Math.max(LATE_HEDGED_ANYWAY, hedgeable)) for (const flight of late) flight.hedge();
  }
}
