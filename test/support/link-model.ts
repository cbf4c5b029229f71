// A model of a long, thin link between a client and one server on loopback, at the TCP level: the
// client connects to the model's port instead of the server's, and bytes pass unchanged (no HTTP
// parsing, so SigV4 signatures stay valid), but they travel the way they would across the border:
//
// - one-way delay of RTT/2 in each direction; a new connection's first bytes to the server wait one
//   more RTT (the TCP handshake), so a fresh connection's first request costs two round trips;
// - a rate cap per connection and direction, with at most one bandwidth-delay product (cap × RTT,
//   at least 128 KiB; 4 MiB without caps) read from the sender and not yet delivered: the model
//   stops reading the sending socket while that window is full, as a TCP window would, and stops
//   delivering while the receiver is full;
// - a link cap per direction shared by all connections, round-robin between them;
// - bytes are never reordered (one FIFO per connection and direction, one timer per direction);
// - stalls: a connection stops delivering one way for a while (or for good) in the middle of a
//   burst, the connection open, no FIN; a burst is data arriving after the connection was idle,
//   roughly one request or response on a keep-alive connection;
// - resets: after about N bytes through the link, the connection moving data is cut with RST on
//   both sides (a peer that still had bytes to read may see it as a clean end: libuv reports EOF
//   when the hang-up comes with a partial read, as it would after a real RST).
//
// The kernel here has no netem, hence user space. Its cost, measured with process.cpuUsage() in the
// model's process (senders and sink in another): 1.2–1.5 CPU-s per GB at 200 MB/s (near, 8 or 16
// connections), i.e. 0.3 of a core; 3.4 CPU-s per GB at 40 MB/s (cross-border, 16 connections:
// timer ticks dominate), 0.14 of a core; the loopback profile (nothing to pace) 0.74 CPU-s per GB.
// It listens on 127.0.0.1 only and lives in the process that starts it, until close().
import { connect, createServer, type Server, type Socket } from "node:net";
import { seededRandom } from "./fault-proxy.js";
import {
  type Direction,
  type DirectionSettings,
  LinkDirection,
  type Pipe,
  type StallSettings,
} from "./link-model-pacing.js";

export type { Direction, StallSettings };

/** Settings of one direction (up: client to server, down: server to client). Rates in bytes/s. */
export interface WaySettings {
  /** What one connection carries (default: no cap). */
  connectionRate?: number;
  /** What all connections together carry: the link's capacity (default: no cap). */
  linkRate?: number;
  stalls?: StallSettings;
}

export interface LinkProfile extends WaySettings {
  /** Round-trip time in ms (default 0). */
  rttMs?: number;
  /** Reset a connection after about this many bytes through the link, both ways (each gap 0.5–1.5 ×). */
  resetEveryBytes?: number;
  /** Settings of one direction, over the ones above. */
  up?: WaySettings;
  down?: WaySettings;
}

const MB = 1_000_000;

/** The bench's links (issue 12). MB = 10^6 bytes. */
export const LINK_PROFILES = {
  loopback: {},
  near: { rttMs: 30, connectionRate: 25 * MB, linkRate: 200 * MB },
  "cross-border": { rttMs: 200, connectionRate: 4 * MB, linkRate: 40 * MB, resetEveryBytes: 300 * MB },
  "long-fat": {
    rttMs: 300,
    connectionRate: 2 * MB,
    linkRate: 80 * MB,
    // Each way: a request and its response are two bursts, so 0.5 % each way is 1 % of requests.
    stalls: { perBurst: 0.005, durationMs: [5_000, 20_000] },
  },
} satisfies Record<string, LinkProfile>;

export type LinkProfileName = keyof typeof LINK_PROFILES;

export interface LinkModelOptions {
  /** The server behind the link, e.g. `http://127.0.0.1:40123` (only host and port are used). */
  upstream: string;
  /** A profile or a preset's name (default: loopback). */
  profile?: LinkProfile | LinkProfileName;
  /** Seed of the stall and reset decisions (default 1). */
  seed?: number | string;
  /** Keep the last N stalls and resets in stats().recent (default 200). */
  keepRecent?: number;
}

export interface LinkEvent {
  kind: "stall" | "reset";
  /** Date.now() when it began. */
  at: number;
  /** The connection's number, 1 for the first one accepted. */
  connection: number;
  /** The direction that stalled, or that was delivering when the reset hit. */
  direction: Direction;
  /** Bytes delivered that way on the connection before it. */
  atByte: number;
  /** Of a stall. */
  durationMs?: number | "forever";
}

export interface LinkStats {
  /** Connections accepted. */
  connections: number;
  openConnections: number;
  /** The most connections open at once. */
  peakConnections: number;
  /** Bytes delivered to the server (up) and to the client (down). */
  bytesUp: number;
  bytesDown: number;
  stalls: number;
  resets: number;
  /** The most bytes one connection held one way (read, not yet delivered): bounded by its window. */
  peakInFlight: Record<Direction, number>;
  /** The last stalls and resets, oldest first. */
  recent: LinkEvent[];
}

export interface LinkModel {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the server's endpoint. */
  endpoint: string;
  port: number;
  upstream: string;
  stats(): LinkStats;
  /** Zeroes the counters; open connections stay and count as the new peak. */
  resetStats(): void;
  /**
   * Applies to open connections too (rates and windows at once, delay to bytes sent from now); a
   * way without stalls in the new profile drops the stalls armed on them that have not begun.
   */
  setProfile(profile: LinkProfile | LinkProfileName): void;
  /** Stops listening and drops every connection (RST both ways). Idempotent. */
  close(): Promise<void>;
}

/** A connection to the server that does not open within this long is reset. */
const CONNECT_TIMEOUT_MS = 10_000;

interface ParsedProfile {
  rttMs: number;
  resetEveryBytes: number | undefined;
  up: DirectionSettings;
  down: DirectionSettings;
}

/** The profile as each direction runs it; throws one line naming a bad setting. */
function parseProfile(input: LinkProfile | LinkProfileName): ParsedProfile {
  const profile: LinkProfile | undefined = typeof input === "string" ? LINK_PROFILES[input] : input;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`link model: ${what}`);
  };
  check(profile !== undefined, `unknown profile '${input}'`);
  const { rttMs = 0, resetEveryBytes } = profile as LinkProfile;
  check(Number.isFinite(rttMs) && rttMs >= 0, "rttMs must be a number ≥ 0");
  check(resetEveryBytes === undefined || resetEveryBytes > 0, "resetEveryBytes must be > 0");
  const settingsOf = (direction: Direction): DirectionSettings => {
    const own = profile?.[direction] ?? {};
    const stalls = own.stalls ?? profile?.stalls;
    const settings = {
      rttMs,
      connectionRate: own.connectionRate ?? profile?.connectionRate ?? Infinity,
      linkRate: own.linkRate ?? profile?.linkRate ?? Infinity,
      stalls,
      burstIdleMs: stalls?.burstIdleMs ?? Math.max(5, 0.4 * rttMs),
    };
    for (const rate of ["connectionRate", "linkRate"] as const) {
      check(settings[rate] > 0, `${direction}.${rate} must be > 0 bytes/s`);
    }
    if (stalls === undefined) return settings;
    const d = stalls.durationMs;
    const [min, max] = typeof d === "number" ? [d, d] : d === "forever" ? [0, 0] : d;
    check(min >= 0 && min <= max, `${direction}.stalls.durationMs must be ≥ 0, as [min, max] min ≤ max`);
    const { perBurst = 0, afterBytes = 0 } = stalls;
    check(perBurst >= 0 && perBurst <= 1, `${direction}.stalls.perBurst must be 0..1`);
    check(afterBytes >= 0 && settings.burstIdleMs >= 0, `${direction}.stalls: afterBytes, burstIdleMs ≥ 0`);
    return settings;
  };
  return { rttMs, resetEveryBytes, up: settingsOf("up"), down: settingsOf("down") };
}

function emptyStats(openConnections: number): LinkStats {
  return {
    connections: 0,
    openConnections,
    peakConnections: openConnections,
    bytesUp: 0,
    bytesDown: 0,
    stalls: 0,
    resets: 0,
    peakInFlight: { up: 0, down: 0 },
    recent: [],
  };
}

interface Connection {
  client: Socket;
  server: Socket;
  pipes: Pipe[];
}

/** The link's connections, both directions, the stall and reset decisions and the counters. */
class Link {
  private profile: ParsedProfile;
  private readonly random: () => number;
  private readonly connections = new Map<number, Connection>();
  private readonly directions: Record<Direction, LinkDirection>;
  private counters = emptyStats(0);
  private accepted = 0;
  /** Bytes delivered both ways since start, and the count at which the next reset hits. */
  private linkBytes = 0;
  private nextResetAt: number;

  constructor(
    private readonly target: { host: string; port: number },
    profile: ParsedProfile,
    seed: number | string,
    private readonly keepRecent: number,
  ) {
    this.profile = profile;
    this.random = seededRandom(seed);
    this.nextResetAt = this.drawReset();
    const hooks = {
      random: this.random,
      delivering: (pipe: Pipe, bytes: number) => this.delivering(pipe, bytes),
      stalled: (pipe: Pipe, durationMs: number) => this.stalled(pipe, durationMs),
    };
    this.directions = {
      up: new LinkDirection("up", profile.up, hooks),
      down: new LinkDirection("down", profile.down, hooks),
    };
  }

  accept(client: Socket): void {
    const id = ++this.accepted;
    const stats = this.counters;
    stats.connections++;
    stats.openConnections++;
    stats.peakConnections = Math.max(stats.peakConnections, stats.openConnections);
    const server = connect({ ...this.target, allowHalfOpen: true, noDelay: true });
    const openedAt = performance.now();
    const handshakeDone = openedAt + this.profile.rttMs;
    const connection: Connection = {
      client,
      server,
      pipes: [
        this.directions.up.open(id, client, server, handshakeDone),
        this.directions.down.open(id, server, client, openedAt),
      ],
    };
    this.connections.set(id, connection);
    const connectTimer = setTimeout(() => cut(connection), CONNECT_TIMEOUT_MS);
    server.once("connect", () => clearTimeout(connectTimer));
    let closed = 0;
    for (const socket of [client, server]) {
      socket.on("error", () => cut(connection));
      socket.on("close", () => {
        if (++closed < 2) return;
        clearTimeout(connectTimer);
        for (const pipe of connection.pipes) this.directions[pipe.direction].remove(pipe);
        this.connections.delete(id);
        this.counters.openConnections--;
      });
    }
  }

  stats(): LinkStats {
    const peakInFlight = { up: this.directions.up.peakHeld, down: this.directions.down.peakHeld };
    return { ...structuredClone(this.counters), peakInFlight };
  }

  resetStats(): void {
    this.counters = emptyStats(this.counters.openConnections);
    this.directions.up.peakHeld = 0;
    this.directions.down.peakHeld = 0;
  }

  setProfile(profile: ParsedProfile): void {
    this.profile = profile;
    this.directions.up.configure(profile.up);
    this.directions.down.configure(profile.down);
    this.nextResetAt = this.drawReset();
  }

  close(): void {
    for (const connection of this.connections.values()) cut(connection);
    this.directions.up.close();
    this.directions.down.close();
  }

  private drawReset(): number {
    const every = this.profile.resetEveryBytes;
    return every === undefined ? Infinity : this.linkBytes + every * (0.5 + this.random());
  }

  /** Counts bytes about to be delivered; false when they reach the next reset: `pipe`'s connection is cut instead. */
  private delivering(pipe: Pipe, bytes: number): boolean {
    if (this.linkBytes + bytes < this.nextResetAt) {
      this.counters[pipe.direction === "up" ? "bytesUp" : "bytesDown"] += bytes;
      this.linkBytes += bytes;
      return true;
    }
    this.nextResetAt = this.drawReset();
    this.counters.resets++;
    const { connection, direction, delivered: atByte } = pipe;
    this.record({ kind: "reset", at: Date.now(), connection, direction, atByte });
    cut(this.connections.get(connection));
    return false;
  }

  private stalled(pipe: Pipe, durationMs: number): void {
    this.counters.stalls++;
    const { connection, direction, delivered: atByte } = pipe;
    const duration = durationMs === Infinity ? "forever" : Math.round(durationMs);
    this.record({ kind: "stall", at: Date.now(), connection, direction, atByte, durationMs: duration });
  }

  private record(event: LinkEvent): void {
    this.counters.recent.push(event);
    if (this.counters.recent.length > this.keepRecent) this.counters.recent.shift();
  }
}

/** RST to both ends of a connection. */
function cut(connection: Connection | undefined): void {
  for (const socket of connection ? [connection.client, connection.server] : []) {
    if (!socket.destroyed) socket.resetAndDestroy();
  }
}

/** Starts a link model on 127.0.0.1 (a free port) in front of `upstream`. */
export async function startLinkModel(options: LinkModelOptions): Promise<LinkModel> {
  const upstream = new URL(options.upstream);
  const target = { host: upstream.hostname, port: Number(upstream.port) };
  const link = new Link(
    target,
    parseProfile(options.profile ?? "loopback"),
    options.seed ?? 1,
    options.keepRecent ?? 200,
  );
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) =>
    link.accept(client),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    upstream: options.upstream,
    stats: () => link.stats(),
    resetStats: () => link.resetStats(),
    setProfile: (profile) => link.setProfile(parseProfile(profile)),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        link.close();
      });
      return closing;
    },
  };
}
