/** The bounds an adaptive limit moves between, and where it starts. */
export interface AdaptiveBounds {
  initial: number;
  min: number;
  max: number;
}

/** What the limit reads of the work it limits. */
export interface LimitedWork {
  /** Work is waiting for a slot: the limit, not the demand, bounds what is in flight. */
  waiting(): boolean;
  /** Applies a new limit. */
  apply(limit: number): void;
}

/**
 * Rate samples are taken this often: under two round trips of the slowest link (300 ms), so the
 * limit can double about once a second, and still a dozen chunks per connection at 2 MB/s.
 */
export const SAMPLE_MS = 500;
/** A probe must raise the rate by at least this share of the rise in the limit to count. */
const REQUIRED_GAIN_SHARE = 0.3;
/** After a probe that fell short, the limit is set this much above what the rate it got needs. */
const KNEE_HEADROOM = 1.1;
/**
 * On a congestion signal the limit is cut to this share: hard when a server asks to slow down,
 * gently for a reset or a stall (a lossy path breaks connections whatever is in flight).
 */
const DECREASE = { throttled: 0.7, broken: 0.9 } as const;
/** After a cut, or a probe that fell short, the limit holds for this many samples. */
const HOLD_SAMPLES = 6;

export type Congestion = keyof typeof DECREASE;

type Phase =
  | { kind: "hold"; until: number }
  | { kind: "probe"; from: number; baseline: Rates; settled: boolean }
  | { kind: "idle" };

interface Rates {
  bytes: number;
  transfers: number;
}

/**
 * Parts (or objects) in flight, adapted to the link by what the aggregate rate does: while more in
 * flight moves more bytes (or finishes more transfers: small objects are paced by round trips),
 * the limit keeps rising, doubling at first and then by a tenth; a rise that falls short is cut back
 * to what the rate it got needs and held; a congestion signal cuts it (a 503 SlowDown to 70 %, a
 * reset or a stall to 90 %). A long,
 * thin link needs many connections (40 MB/s at 4 MB/s each: 10; 80 MB/s at 2 MB/s: 40), loopback
 * few; the bounds keep memory in check whatever it adapts to.
 */
export class AdaptiveLimit {
  private current: number;
  private phase: Phase = { kind: "idle" };
  private slowStart = true;
  private moved = 0;
  private finished = 0;
  private congestedSince: Congestion | undefined;
  private sampleNumber = 0;
  private last: Rates = { bytes: 0, transfers: 0 };
  private readonly timer: NodeJS.Timeout | undefined;

  /** `sampleMs` 0: no timer, the caller calls sample() (tests). */
  constructor(
    private readonly bounds: AdaptiveBounds,
    private readonly work: LimitedWork,
    sampleMs = SAMPLE_MS,
  ) {
    this.current = bounds.initial;
    this.timer = sampleMs > 0 ? setInterval(() => this.sample(), sampleMs) : undefined;
    this.timer?.unref();
  }

  get limit(): number {
    return this.current;
  }

  /** Bytes moved to the target. */
  bytes(count: number): void {
    this.moved += count;
  }

  /** A transfer (a part or a whole object) finished. */
  transferred(): void {
    this.finished++;
  }

  /** A server asked to slow down (`throttled`), or a connection was reset or stalled (`broken`). */
  congested(kind: Congestion): void {
    if (this.congestedSince !== "throttled") this.congestedSince = kind;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private set(limit: number): void {
    const bounded = Math.max(this.bounds.min, Math.min(this.bounds.max, Math.round(limit)));
    if (bounded === this.current) return;
    this.current = bounded;
    this.work.apply(bounded);
  }

  /** Called every SAMPLE_MS; public for tests that drive it by hand. */
  sample(): void {
    this.sampleNumber++;
    const rates = { bytes: this.moved, transfers: this.finished };
    this.moved = 0;
    this.finished = 0;
    const previous = this.last;
    this.last = rates;
    if (this.congestedSince) {
      this.slowStart = false;
      this.set(this.current * DECREASE[this.congestedSince]);
      this.congestedSince = undefined;
      this.phase = { kind: "hold", until: this.sampleNumber + HOLD_SAMPLES };
      return;
    }
    const phase = this.phase;
    if (phase.kind === "probe") {
      // The first sample after a rise is half old, half new: judge the one after it.
      if (!phase.settled) {
        this.phase = { ...phase, settled: true };
        return;
      }
      const rise = this.current / phase.from - 1;
      const gain = Math.max(
        ratio(rates.bytes, phase.baseline.bytes),
        ratio(rates.transfers, phase.baseline.transfers),
      );
      if (gain - 1 >= REQUIRED_GAIN_SHARE * rise) {
        this.probe(rates);
        return;
      }
      // The rate the rise got needs this many slots at the old rate per slot: the knee of the link.
      this.slowStart = false;
      const knee = Math.ceil(phase.from * gain);
      this.set(knee > phase.from ? Math.min(this.current, Math.ceil(knee * KNEE_HEADROOM)) : phase.from);
      this.phase = { kind: "hold", until: this.sampleNumber + HOLD_SAMPLES };
      return;
    }
    if (phase.kind === "hold" && this.sampleNumber < phase.until) return;
    // Rise only when the limit binds, from a baseline of two full samples at this limit.
    if (!this.work.waiting() || previous.bytes + previous.transfers === 0) return;
    this.probe({
      bytes: (rates.bytes + previous.bytes) / 2,
      transfers: (rates.transfers + previous.transfers) / 2,
    });
  }

  private probe(baseline: Rates): void {
    const from = this.current;
    if (from >= this.bounds.max || !this.work.waiting()) {
      this.phase = { kind: "hold", until: this.sampleNumber + HOLD_SAMPLES };
      return;
    }
    this.set(this.slowStart ? from * 2 : from + Math.max(1, from * 0.1));
    this.phase = { kind: "probe", from, baseline, settled: false };
  }
}

function ratio(now: number, before: number): number {
  if (before <= 0) return now > 0 ? Number.POSITIVE_INFINITY : 1;
  return now / before;
}
