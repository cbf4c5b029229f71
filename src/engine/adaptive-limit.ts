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

/** The limit is looked at this often: decisions wait for completions, this only bounds the delay. */
export const SAMPLE_MS = 250;
/** Transfers started at a limit that must have finished before that limit is judged. */
const COMPLETIONS_TO_JUDGE = 4;
/**
 * At the start, a limit under which nothing has finished for this long is doubled without waiting
 * to be judged: transfers this slow are the link's (an 8 MiB part takes 4 s at 2 MB/s, under
 * 0.4 s on loopback), and waiting for a judgement per doubling would take most of a 1 GiB copy.
 * The rates are compared once the doublings' transfers finish, and an overshoot is cut back to
 * the knee then.
 */
const UNJUDGED_RISE_MS = 1_000;
/**
 * A rise must raise the estimated rate by at least this share of the rise in the limit to count:
 * below the knee of a link a doubling doubles the rate, past it much less (an overshoot from 16 to
 * 64 on a link that 40 fill gains 2.5 ×, not 4 ×).
 */
const REQUIRED_GAIN_SHARE = 0.7;
/** After a rise that fell short, the limit is set this much above what the rate it got needs. */
const KNEE_HEADROOM = 1.1;
/**
 * On a congestion signal the limit is cut to this share: hard when a server asks to slow down,
 * gently for a reset or a stall (a lossy path breaks connections whatever is in flight).
 */
const DECREASE = { throttled: 0.7, broken: 0.9 } as const;
/** After a cut, or a rise that fell short, the limit holds for this many samples. */
const HOLD_SAMPLES = 12;

export type Congestion = keyof typeof DECREASE;

/** What the transfers started at one limit did: their bytes, their summed durations, their count. */
interface Epoch {
  number: number;
  limit: number;
  startedAt: number;
  bytes: number;
  ms: number;
  done: number;
}

type Phase = { kind: "hold"; until: number } | { kind: "probe"; baseline: Epoch } | { kind: "steady" };

/**
 * Parts (or objects) in flight, adapted to the link by what finished transfers say. Bytes read are
 * no measure of a link: the kernel's socket buffers take several MiB per connection at once, a
 * whole 8 MiB part at the start, and then nothing moves for seconds. A transfer that finished,
 * though, was received: its bytes over its duration is what one slot carries at the limit it
 * started under, and the limit times that is the rate. While a higher limit gives a higher rate
 * (bytes, or transfers for small objects, which round trips pace), the limit keeps rising,
 * doubling at first and then by a tenth; a rise that falls short is cut back to what the rate it
 * got needs, the knee of the link, and held; a congestion signal cuts it (a 503 SlowDown to 70 %,
 * a reset or a stall to 90 %). A long, thin link needs many connections (40 MB/s at 4 MB/s each:
 * 10; 80 MB/s at 2 MB/s: 40), loopback few; the bounds keep memory in check.
 */
export class AdaptiveLimit {
  private current: number;
  private epoch: Epoch;
  private readonly epochs = new Map<number, Epoch>();
  private epochNumber = 0;
  private phase: Phase = { kind: "steady" };
  private slowStart = true;
  private congestedSince: Congestion | undefined;
  private sampleNumber = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  /** `sampleMs` 0: no timer, the caller calls sample() (tests). */
  constructor(
    private readonly bounds: AdaptiveBounds,
    private readonly work: LimitedWork,
    sampleMs = SAMPLE_MS,
  ) {
    this.current = bounds.initial;
    this.epoch = this.newEpoch();
    this.timer = sampleMs > 0 ? setInterval(() => this.sample(), sampleMs) : undefined;
    this.timer?.unref();
  }

  get limit(): number {
    return this.current;
  }

  /** Tags a transfer starting now; hand the tag back to `transferred`. */
  started(): number {
    return this.epochNumber;
  }

  /** A transfer (a part or a whole object) finished: its bytes, and how long it took. */
  transferred(tag: number, bytes: number, ms: number): void {
    const epoch = this.epochs.get(tag);
    if (!epoch) return;
    epoch.bytes += bytes;
    epoch.ms += Math.max(1, ms);
    epoch.done++;
  }

  /** A server asked to slow down (`throttled`), or a connection was reset or stalled (`broken`). */
  congested(kind: Congestion): void {
    if (this.congestedSince !== "throttled") this.congestedSince = kind;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private newEpoch(): Epoch {
    this.epochNumber++;
    const epoch = {
      number: this.epochNumber,
      limit: this.current,
      startedAt: Date.now(),
      bytes: 0,
      ms: 0,
      done: 0,
    };
    this.epochs.set(this.epochNumber, epoch);
    // Only the epochs since the one a probe compares with are read again.
    const keepFrom = this.phase.kind === "probe" ? this.phase.baseline.number : this.epochNumber - 1;
    for (const number of this.epochs.keys()) if (number < keepFrom) this.epochs.delete(number);
    return epoch;
  }

  private set(limit: number): void {
    const bounded = Math.max(this.bounds.min, Math.min(this.bounds.max, Math.round(limit)));
    if (bounded === this.current) return;
    this.current = bounded;
    this.work.apply(bounded);
    this.epoch = this.newEpoch();
  }

  private hold(): void {
    this.phase = { kind: "hold", until: this.sampleNumber + HOLD_SAMPLES };
  }

  /** Called every SAMPLE_MS; public for tests that drive it by hand. */
  sample(): void {
    this.sampleNumber++;
    if (this.congestedSince) {
      this.slowStart = false;
      this.set(this.current * DECREASE[this.congestedSince]);
      this.congestedSince = undefined;
      this.hold();
      return;
    }
    const phase = this.phase;
    if (phase.kind === "hold" && this.sampleNumber < phase.until) return;
    const judged = this.epoch.done >= COMPLETIONS_TO_JUDGE;
    if (phase.kind === "probe" && judged && phase.baseline.done >= COMPLETIONS_TO_JUDGE) {
      this.judge(phase.baseline);
      return;
    }
    // Rise only when the limit binds: judged, or unjudged while nothing finishes at the start.
    const unjudged = this.slowStart && Date.now() - this.epoch.startedAt >= UNJUDGED_RISE_MS;
    if (!this.work.waiting()) {
      if (phase.kind !== "probe") this.phase = { kind: "steady" };
      return;
    }
    if (phase.kind === "probe") {
      if (!judged && unjudged) this.rise(phase.baseline);
    } else if (judged || unjudged) this.rise(this.epoch);
  }

  /** Raises the limit; its rate will be compared with `baseline`'s (kept by a run of unjudged rises). */
  private rise(baseline: Epoch): void {
    if (this.current >= this.bounds.max) {
      // At the bound a run of unjudged rises still waits for its judgement.
      if (baseline === this.epoch) this.hold();
      else this.phase = { kind: "probe", baseline };
      return;
    }
    this.set(this.slowStart ? this.current * 2 : this.current + Math.max(1, this.current * 0.1));
    this.phase = { kind: "probe", baseline };
  }

  /** Compares the rate at the new limit with the rate at the old one. */
  private judge(baseline: Epoch): void {
    const now = this.epoch;
    const rate = (e: Epoch, per: number) => (e.limit * per) / e.ms;
    const gain = Math.max(
      ratio(rate(now, now.bytes), rate(baseline, baseline.bytes)),
      ratio(rate(now, now.done), rate(baseline, baseline.done)),
    );
    const rise = now.limit / baseline.limit - 1;
    if (gain - 1 >= REQUIRED_GAIN_SHARE * rise) {
      // The rise paid; rise again while the limit still binds.
      if (this.work.waiting()) this.rise(now);
      else this.phase = { kind: "steady" };
      return;
    }
    // The rate the rise got needs this many slots at the old rate per slot: the knee of the link.
    this.slowStart = false;
    const knee = Math.ceil(baseline.limit * gain);
    this.set(knee > baseline.limit ? Math.min(now.limit, Math.ceil(knee * KNEE_HEADROOM)) : baseline.limit);
    this.hold();
  }
}

function ratio(now: number, before: number): number {
  if (!(before > 0)) return now > 0 ? Number.POSITIVE_INFINITY : 1;
  return now / before;
}
