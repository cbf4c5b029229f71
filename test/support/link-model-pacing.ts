// One direction of the link model (see link-model.ts): per connection a FIFO of bytes read from the
// sender, paced by the connection's cap and the link's shared cap, delayed by half the RTT and
// delivered in order; one timer for the whole direction, so no two chunks can overtake each other.
import type { Socket } from "node:net";

export type Direction = "up" | "down";

export interface StallSettings {
  /** Probability that a burst stalls: data arriving on a connection idle for `burstIdleMs`. */
  perBurst?: number;
  /** Each connection stalls once, when this many bytes have been delivered on it this way. */
  afterBytes?: number;
  /** How long a stall lasts: ms, [min, max] ms drawn uniformly, or "forever" (until close()). */
  durationMs: number | [number, number] | "forever";
  /** Idle time after which data starts a new burst (default 0.4 × RTT, at least 5 ms). */
  burstIdleMs?: number;
}

/** The settings one direction runs with, resolved from a profile. */
export interface DirectionSettings {
  rttMs: number;
  /** Bytes/s per connection; Infinity: no cap. */
  connectionRate: number;
  /** Bytes/s shared by all connections; Infinity: no cap. */
  linkRate: number;
  stalls: StallSettings | undefined;
  burstIdleMs: number;
}

/** What a direction asks of the model it belongs to. */
export interface DirectionHooks {
  random(): number;
  /** Before `bytes` are delivered on `pipe`: false when the model cuts the connection instead (a reset). */
  delivering(pipe: Pipe, bytes: number): boolean;
  stalled(pipe: Pipe, durationMs: number): void;
}

/** The largest read a net.Socket hands over (libuv reads TCP into 64 KiB buffers). */
const MAX_READ = 64 * 1024;
/** A window under two reads would stop the sender after every read. */
const MIN_WINDOW = 2 * MAX_READ;
/** Bytes in flight per connection when neither cap is set (the order of a loopback socket's buffers). */
const UNCAPPED_WINDOW = 4 * 1024 * 1024;
/** The most one connection sends per turn: small enough for smooth pacing at 2 MB/s (8 ms per turn). */
const QUANTUM = 16 * 1024;
/**
 * How far a wire's clock may lag behind now while a burst goes on: a model that ran late on a
 * loaded machine makes up for it, as the real link would have gone on meanwhile (event-loop delays
 * of up to 180 ms were measured here at a load of 8 on 2 cores). A burst starts the clock afresh,
 * so an idle connection saves no credit: a request after a pause is paced, not sent at once.
 * Measured at that load, 16 connections on a 40 MB/s link: without credit for the time a paused
 * sender waited, 0.69 × the link; with it 1.00 ×.
 */
const MAX_LAG_MS = 250;
/** Bytes waiting in the receiving socket beyond which it counts as full. */
const RECEIVER_FULL = 256 * 1024;
/** Where in a burst a stall starts: uniformly within its first bytes (a short burst: before its last byte). */
const STALL_SPAN = 64 * 1024;

const FIN = Buffer.alloc(0);

/** A bottleneck that serializes bytes at `rate` bytes/s: each chunk starts when the one before is through. */
class Wire {
  busyUntil = 0;

  constructor(public rate: number) {}

  /** Puts `bytes` on the wire at `start` (not before busyUntil); returns when they are through. */
  take(bytes: number, start: number): number {
    this.busyUntil = start + (bytes / this.rate) * 1000;
    return this.busyUntil;
  }
}

/** A stall that starts when `atByte` bytes have been delivered; a `flexible` one (a burst's) starts
 * before the burst's last byte if the burst is shorter. */
interface ArmedStall {
  atByte: number;
  flexible: boolean;
  durationMs: number;
}

interface Flight {
  data: Buffer;
  /** performance.now() from which it may be delivered. */
  at: number;
}

/** One connection's bytes one way: read from `from`, not yet delivered to `to`. */
export class Pipe {
  readonly queue: Buffer[] = [];
  readonly flight: Flight[] = [];
  readonly wire: Wire;
  /** Bytes read and not yet delivered (queue and flight). */
  held = 0;
  delivered = 0;
  ended = false;
  finSent = false;
  paused = false;
  blocked = false;
  lastDeliveryAt = -Infinity;
  stalledUntil = 0;
  stall: ArmedStall | undefined;

  constructor(
    readonly connection: number,
    readonly direction: Direction,
    readonly from: Socket,
    readonly to: Socket,
    /** performance.now() before which nothing is sent (the handshake of a new connection). */
    readonly sendFrom: number,
    connectionRate: number,
  ) {
    this.wire = new Wire(connectionRate);
  }
}

function windowOf(settings: DirectionSettings): number {
  const rate = Math.min(settings.connectionRate, settings.linkRate);
  if (rate === Infinity) return UNCAPPED_WINDOW;
  return Math.max(MIN_WINDOW, (rate * settings.rttMs) / 1000);
}

function stallDuration(stalls: StallSettings, random: () => number): number {
  const d = stalls.durationMs;
  if (d === "forever") return Infinity;
  return typeof d === "number" ? d : d[0] + random() * (d[1] - d[0]);
}

/** All connections' pipes one way, their shared cap and the one timer that moves them. */
export class LinkDirection {
  private readonly pipes: Pipe[] = [];
  private readonly wire: Wire;
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  /** The most bytes one connection has held at once (the window's bound). */
  peakHeld = 0;

  constructor(
    readonly name: Direction,
    private settings: DirectionSettings,
    private readonly hooks: DirectionHooks,
  ) {
    this.wire = new Wire(settings.linkRate);
  }

  configure(settings: DirectionSettings): void {
    this.settings = settings;
    this.wire.rate = settings.linkRate;
    for (const pipe of this.pipes) {
      pipe.wire.rate = settings.connectionRate;
      // A stall armed but not begun goes with the profile that armed it: setting a profile without
      // stalls heals the link for the connections already open (a stall under way runs its course).
      if (settings.stalls === undefined) pipe.stall = undefined;
    }
    this.wake();
  }

  open(connection: number, from: Socket, to: Socket, sendFrom: number): Pipe {
    const pipe = new Pipe(connection, this.name, from, to, sendFrom, this.settings.connectionRate);
    const stalls = this.settings.stalls;
    if (stalls?.afterBytes !== undefined) {
      const durationMs = stallDuration(stalls, this.hooks.random);
      pipe.stall = { atByte: stalls.afterBytes, flexible: false, durationMs };
    }
    this.pipes.push(pipe);
    from.on("data", (chunk: Buffer) => this.read(pipe, chunk));
    from.on("end", () => {
      pipe.ended = true;
      this.wake();
    });
    return pipe;
  }

  remove(pipe: Pipe): void {
    const i = this.pipes.indexOf(pipe);
    if (i >= 0) this.pipes.splice(i, 1);
  }

  close(): void {
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.pipes.length = 0;
  }

  private read(pipe: Pipe, chunk: Buffer): void {
    const now = performance.now();
    const stalls = this.settings.stalls;
    const burst = pipe.held === 0 && now - pipe.lastDeliveryAt >= this.settings.burstIdleMs;
    if (burst) this.restartClocks(pipe, now);
    if (burst && stalls?.perBurst && pipe.stall === undefined && this.hooks.random() < stalls.perBurst) {
      const atByte = pipe.delivered + Math.floor(this.hooks.random() * STALL_SPAN);
      pipe.stall = { atByte, flexible: true, durationMs: stallDuration(stalls, this.hooks.random) };
    }
    pipe.queue.push(chunk);
    pipe.held += chunk.length;
    this.peakHeld = Math.max(this.peakHeld, pipe.held);
    if (pipe.held + MAX_READ > windowOf(this.settings)) {
      pipe.paused = true;
      pipe.from.pause();
    }
    if (pipe.queue.length === 1) this.wake();
  }

  /** A burst on an idle connection: its wire (and the link's, if idle too) starts from now. */
  private restartClocks(pipe: Pipe, now: number): void {
    pipe.wire.busyUntil = Math.max(pipe.wire.busyUntil, now);
    if (this.wire.rate < Infinity && this.pipes.every((p) => p.queue.length === 0)) {
      this.wire.busyUntil = Math.max(this.wire.busyUntil, now);
    }
  }

  /** Runs a tick as soon as the event loop is free. */
  private wake(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.tick();
    });
  }

  private schedule(at: number, now: number): void {
    if (at === Infinity || (this.timer && this.timerAt <= at)) return;
    if (at <= now) {
      this.wake();
      return;
    }
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.tick();
      },
      Math.ceil(at - now),
    );
  }

  private tick(): void {
    const now = performance.now();
    this.transmit(now);
    for (const pipe of this.pipes) this.deliver(pipe, now);
    this.schedule(this.nextEvent(), now);
  }

  /** Round-robin over the connections, one quantum per turn, while the link has credit. */
  private transmit(now: number): void {
    const n = this.pipes.length;
    let i = this.turn;
    for (let quiet = 0; quiet < n && this.wire.busyUntil <= now; i++) {
      quiet = this.send(this.pipes[i % n] as Pipe, now) ? 0 : quiet + 1;
    }
    this.turn = n > 0 ? i % n : 0;
  }

  /** Puts the head of a connection's queue on the wires if they are free; false if it sent no bytes. */
  private send(pipe: Pipe, now: number): boolean {
    const head = pipe.queue[0];
    const oneWay = this.settings.rttMs / 2;
    if (head === undefined) {
      if (pipe.ended && !pipe.finSent && now >= pipe.sendFrom) {
        pipe.finSent = true;
        pipe.flight.push({ data: FIN, at: now + oneWay });
      }
      return false;
    }
    const start = Math.max(pipe.sendFrom, pipe.wire.busyUntil, this.wire.busyUntil, now - MAX_LAG_MS);
    if (start > now) return false;
    const capped = Math.min(pipe.wire.rate, this.wire.rate) < Infinity;
    const data = capped && head.length > QUANTUM ? head.subarray(0, QUANTUM) : head;
    if (data === head) pipe.queue.shift();
    else pipe.queue[0] = head.subarray(data.length);
    const through = Math.max(pipe.wire.take(data.length, start), this.wire.take(data.length, start));
    // A late model sends with credit (start in the past), but no byte arrives sooner than one-way after it is sent.
    pipe.flight.push({ data, at: Math.max(through, now) + oneWay });
    return true;
  }

  /** Writes what is due on one connection (in one writev), unless it is stalled or its receiver is full. */
  private deliver(pipe: Pipe, now: number): void {
    if (pipe.blocked || now < pipe.stalledUntil || pipe.to.destroyed) return;
    pipe.to.cork();
    for (let head = pipe.flight[0]; head !== undefined && head.at <= now; head = pipe.flight[0]) {
      if (head.data === FIN) {
        pipe.flight.shift();
        pipe.to.end();
        break;
      }
      const cut = this.stallPoint(pipe, head.data.length);
      const data = cut === undefined ? head.data : head.data.subarray(0, cut);
      if (cut === undefined) pipe.flight.shift();
      else head.data = head.data.subarray(cut);
      if (data.length > 0) {
        if (!this.hooks.delivering(pipe, data.length)) return;
        pipe.to.write(data);
        pipe.held -= data.length;
        pipe.delivered += data.length;
        pipe.lastDeliveryAt = now;
      }
      if (cut !== undefined) {
        this.startStall(pipe, now);
        break;
      }
    }
    pipe.to.uncork();
    this.release(pipe);
  }

  /** Bytes of a chunk of `length` to deliver before an armed stall starts, or undefined. */
  private stallPoint(pipe: Pipe, length: number): number | undefined {
    if (pipe.stall === undefined) return undefined;
    const until = pipe.stall.atByte - pipe.delivered;
    if (until < length) return Math.max(0, until);
    return pipe.stall.flexible && pipe.held === length ? length - 1 : undefined;
  }

  private startStall(pipe: Pipe, now: number): void {
    const duration = pipe.stall?.durationMs ?? 0;
    pipe.stall = undefined;
    pipe.stalledUntil = now + duration;
    this.hooks.stalled(pipe, duration);
  }

  /** Receiver and sender backpressure after a delivery. */
  private release(pipe: Pipe): void {
    if (pipe.to.writableLength >= RECEIVER_FULL && !pipe.blocked) {
      pipe.blocked = true;
      pipe.to.once("drain", () => {
        pipe.blocked = false;
        this.wake();
      });
    }
    if (pipe.paused && pipe.held + MAX_READ <= windowOf(this.settings)) {
      pipe.paused = false;
      pipe.from.resume();
    }
  }

  private nextEvent(): number {
    let next = Infinity;
    for (const pipe of this.pipes) {
      const head = pipe.flight[0];
      if (head && !pipe.blocked) next = Math.min(next, Math.max(head.at, pipe.stalledUntil));
      if (pipe.queue.length > 0) {
        next = Math.min(next, Math.max(pipe.sendFrom, pipe.wire.busyUntil, this.wire.busyUntil));
      } else if (pipe.ended && !pipe.finSent)
        next = Math.min(next, Math.max(pipe.sendFrom, this.wire.busyUntil));
    }
    return next;
  }
}
