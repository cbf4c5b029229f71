import { CancelledError } from "./errors.js";

/** A transfer is hedged once it has run this many times as long as a typical recent one... */
const HEDGE_AFTER_MEDIANS = 1.5;
/** ...and at least this long: on loopback no transfer is ever that slow without a fault. */
const MIN_HEDGE_MS = 2_000;
/** Recent durations kept for the median. */
const DURATIONS_KEPT = 32;
/** Fewer finished transfers than this: no typical duration yet, no hedging. */
const MIN_DURATIONS = 4;
/** How often transfers in flight are looked at. */
const CHECK_MS = 250;

interface Flight {
  startedAt: number;
  hedged: boolean;
  hedge(): void;
}

/**
 * Hedged transfers: at the tail of a run, when no work waits for a slot, a transfer that has taken
 * far longer than its peers is started a second time on a fresh connection, and the first of the
 * two to finish wins; the other is cancelled. A long link stalls some connections for seconds
 * without breaking them (1 % of requests for 5-20 s on the long-fat profile): under the stall
 * timeout nothing fails, but the copy waits on its slowest part. Both transfers carry the same
 * bytes to the same part number or key, so whichever the target keeps, it holds the same object.
 */
export class Hedger {
  private readonly flights = new Set<Flight>();
  private readonly durations: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** `workWaits`: work is waiting for a slot (then slots go to it, not to hedges). */
  constructor(private readonly workWaits: () => boolean) {}

  /** Runs `work`, once more beside itself if it falls far behind. */
  run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const controllers: AbortController[] = [];
      let running = 0;
      let settled = false;
      let firstError: unknown;
      const flight: Flight = {
        startedAt: Date.now(),
        hedged: false,
        hedge: () => {
          flight.hedged = true;
          launch();
        },
      };
      const finish = () => {
        settled = true;
        this.flights.delete(flight);
        if (this.flights.size === 0) this.stopChecking();
      };
      const launch = () => {
        const controller = new AbortController();
        controllers.push(controller);
        running++;
        work(controller.signal).then(
          (value) => {
            if (settled) return;
            this.recordDuration(Date.now() - flight.startedAt);
            finish();
            const lost = new CancelledError("a hedge of the same transfer finished first");
            for (const other of controllers) if (other !== controller) other.abort(lost);
            resolve(value);
          },
          (error: unknown) => {
            running--;
            firstError ??= error;
            if (settled || running > 0) return;
            finish();
            reject(firstError);
          },
        );
      };
      launch();
      this.flights.add(flight);
      this.startChecking();
    });
  }

  private recordDuration(ms: number): void {
    this.durations.push(ms);
    if (this.durations.length > DURATIONS_KEPT) this.durations.shift();
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
    if (this.durations.length < MIN_DURATIONS || this.workWaits()) return;
    const sorted = [...this.durations].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const threshold = Math.max(MIN_HEDGE_MS, HEDGE_AFTER_MEDIANS * median);
    const now = Date.now();
    for (const flight of this.flights) {
      if (!flight.hedged && now - flight.startedAt > threshold) flight.hedge();
    }
  }
}
