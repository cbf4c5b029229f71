// The link model (test support): rates, delay, order, stalls and resets over plain TCP servers (no
// S3 server's CPU in the numbers), and signed S3 requests through it to a real MinIO.
import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LINK_PROFILES, type LinkModel, type LinkProfile, startLinkModel } from "./link-model.js";
import { type S3Server, s3ClientFor, startMinio, TARGET_OPTIONS } from "./minio.js";

const MB = 1_000_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

interface TcpServer {
  port: number;
  close(): Promise<void>;
}

/** A plain TCP server on 127.0.0.1 that hands each connection to `serve`. */
async function startTcpServer(serve: (socket: Socket) => void): Promise<TcpServer> {
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes chunks as fast as the socket takes them, until it is destroyed. */
function flood(socket: Socket, chunk: () => Buffer = () => CHUNK): void {
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk()));
  };
  socket.on("drain", pump);
  if (socket.connecting) socket.once("connect", pump);
  else pump();
}

/** What arrived on a socket: every chunk's time and the running total, and how it ended. */
interface Arrivals {
  chunks: Buffer[];
  /** [performance.now(), bytes so far] per data event. */
  marks: [number, number][];
  bytes: number;
  ended: boolean;
  error?: string;
  done: Promise<void>;
}

function collect(socket: Socket, keep = true): Arrivals {
  const got: Arrivals = { chunks: [], marks: [], bytes: 0, ended: false, done: Promise.resolve() };
  got.done = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      if (keep) got.chunks.push(chunk);
      got.bytes += chunk.length;
      got.marks.push([performance.now(), got.bytes]);
    });
    socket.on("end", () => {
      got.ended = true;
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      got.error = error.code ?? error.message;
    });
    socket.on("close", () => resolve());
  });
  return got;
}

function connectTo(model: LinkModel): Socket {
  const socket = connect({ host: "127.0.0.1", port: model.port, allowHalfOpen: true, noDelay: true });
  socket.on("error", () => undefined);
  return socket;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("link model", () => {
  const cleanups: (() => Promise<void>)[] = [];
  const started = async <T extends { close(): Promise<void> }>(thing: Promise<T>): Promise<T> => {
    const value = await thing;
    cleanups.push(() => value.close());
    return value;
  };
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((close) => close()));
  });

  /**
   * `n` connections through a model whose senders always have more to send: clients uploading to
   * a sink (up), or a server sending to clients that read (down). `counts`: what each receiver got.
   */
  async function floodThrough(
    profile: LinkProfile,
    n: number,
    direction: "up" | "down",
  ): Promise<{ model: LinkModel; counts: Arrivals[] }> {
    const counts: Arrivals[] = [];
    const server = await started(
      startTcpServer((socket) => (direction === "up" ? counts.push(collect(socket, false)) : flood(socket))),
    );
    const model = await started(startLinkModel({ upstream: `http://127.0.0.1:${server.port}`, profile }));
    for (let i = 0; i < n; i++) {
      const client = connectTo(model);
      if (direction === "up") flood(client);
      else counts.push(collect(client, false));
    }
    await sleep(1_000);
    expect(counts).toHaveLength(n);
    return { model, counts };
  }

  /** Bytes/s each receiver gets over the next `ms`. */
  async function ratesOver(counts: Arrivals[], ms: number): Promise<number[]> {
    const t0 = performance.now();
    const before = counts.map((c) => c.bytes);
    await sleep(ms);
    const seconds = (performance.now() - t0) / 1000;
    return counts.map((c, i) => (c.bytes - (before[i] ?? 0)) / seconds);
  }

  const sum = (rates: number[]) => rates.reduce((a, b) => a + b, 0);

  const capped: LinkProfile = { rttMs: 100, connectionRate: 2 * MB, linkRate: 20 * MB };

  it.each([1, 4, 16])("gives %i connections min(N × cap, link) within 10 percent, fairly", async (n) => {
    const { model, counts } = await floodThrough(capped, n, "up");
    const rates = await ratesOver(counts, 3_000);
    const stats = model.stats();
    const total = sum(rates);
    const expected = Math.min(n * 2 * MB, 20 * MB);
    expect(total / expected).toBeGreaterThan(0.9);
    expect(total / expected).toBeLessThan(1.1);
    for (const rate of rates) {
      expect(rate / (expected / n)).toBeGreaterThan(0.75);
      expect(rate / (expected / n)).toBeLessThan(1.25);
    }
    // One bandwidth-delay product in flight per connection at most: 2 MB/s × 100 ms.
    expect(stats.peakInFlight.up).toBeGreaterThan(0);
    expect(stats.peakInFlight.up).toBeLessThanOrEqual(200_000);
    expect(stats.connections).toBe(n);
    expect(stats.peakConnections).toBe(n);
  });

  it("paces the download direction by its own settings", async () => {
    const profile: LinkProfile = { rttMs: 100, down: { connectionRate: 2 * MB, linkRate: 6 * MB } };
    const { counts } = await floodThrough(profile, 4, "down");
    const total = sum(await ratesOver(counts, 3_000));
    expect(total / (6 * MB)).toBeGreaterThan(0.9);
    expect(total / (6 * MB)).toBeLessThan(1.1);
  });

  it("applies setProfile to open connections; resetStats keeps them as the peak", async () => {
    const { model, counts } = await floodThrough({ rttMs: 100, connectionRate: 4 * MB }, 1, "up");
    const [fast = 0] = await ratesOver(counts, 1_500);
    model.setProfile({ rttMs: 100, connectionRate: 2 * MB });
    await sleep(500);
    const [slow = 0] = await ratesOver(counts, 1_500);
    expect(fast / (4 * MB)).toBeGreaterThan(0.9);
    expect(fast / (4 * MB)).toBeLessThan(1.1);
    expect(slow / (2 * MB)).toBeGreaterThan(0.9);
    expect(slow / (2 * MB)).toBeLessThan(1.1);
    model.resetStats();
    expect(model.stats()).toEqual(
      expect.objectContaining({
        connections: 0,
        openConnections: 1,
        peakConnections: 1,
        stalls: 0,
        resets: 0,
      }),
    );
  });

  it("costs one RTT per round trip, and two for a fresh connection's first", async () => {
    const echo = await started(startTcpServer((socket) => socket.pipe(socket)));
    const model = await started(
      startLinkModel({ upstream: `http://127.0.0.1:${echo.port}`, profile: { rttMs: 150 } }),
    );
    const client = connectTo(model);
    const roundTrip = async () => {
      const t0 = performance.now();
      const answered = new Promise((resolve) => client.once("data", resolve));
      client.write("ping");
      await answered;
      return performance.now() - t0;
    };
    const first = await roundTrip();
    const second = await roundTrip();
    client.destroy();
    // Bounds tell one round trip from two (not speed): a busy machine adds up to ~150 ms.
    expect(first).toBeGreaterThanOrEqual(2 * 150 - 1);
    expect(first).toBeLessThan(3 * 150);
    expect(second).toBeGreaterThanOrEqual(150 - 1);
    expect(second).toBeLessThan(2 * 150);
  });

  it.each([{ rttMs: 100 }, { rttMs: 100, connectionRate: 8 * MB, linkRate: 12 * MB }])(
    "never delivers a byte sooner than RTT/2 after it was written (%o)",
    async (profile) => {
      // Every 8 bytes of a chunk hold performance.now() at its write (this process's clock).
      const stamped = () => {
        const chunk = Buffer.allocUnsafe(CHUNK.length);
        const now = performance.now();
        for (let i = 0; i < chunk.length; i += 8) chunk.writeDoubleLE(now, i);
        return chunk;
      };
      const delays: number[] = [];
      const sink = await started(
        startTcpServer((socket) => {
          let offset = 0;
          socket.on("data", (chunk: Buffer) => {
            const slot = (8 - (offset % 8)) % 8;
            if (slot + 8 <= chunk.length) delays.push(performance.now() - chunk.readDoubleLE(slot));
            offset += chunk.length;
          });
        }),
      );
      const model = await started(startLinkModel({ upstream: `http://127.0.0.1:${sink.port}`, profile }));
      const clients = [connectTo(model), connectTo(model)];
      for (const client of clients) flood(client, stamped);
      await sleep(1_000);
      for (const client of clients) client.destroy();
      expect(delays.length).toBeGreaterThan(100);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(49);
    },
  );

  it("delivers bytes intact and in order through delay, caps, stalls and resets", async () => {
    const echo = await started(startTcpServer((socket) => socket.pipe(socket)));
    const profile: LinkProfile = {
      rttMs: 40,
      connectionRate: 4 * MB,
      linkRate: 16 * MB,
      stalls: { perBurst: 1, durationMs: 200 },
      resetEveryBytes: 10 * MB,
    };
    const model = await started(
      startLinkModel({ upstream: `http://127.0.0.1:${echo.port}`, profile, seed: "intact" }),
    );
    const sent = Array.from({ length: 8 }, () => randomBytes(2 * MB));
    const received = await Promise.all(
      sent.map(async (data) => {
        const client = connectTo(model);
        const got = collect(client);
        client.end(data);
        await got.done;
        return got;
      }),
    );
    // A reset connection ends early: with ECONNRESET, or as a clean end when the RST found bytes
    // still to read (libuv reports EOF then, as after a real RST). Either way only a prefix arrived.
    let cutShort = 0;
    for (const [i, got] of received.entries()) {
      const data = sent[i] as Buffer;
      const body = Buffer.concat(got.chunks);
      expect(sha256(body)).toBe(sha256(data.subarray(0, body.length)));
      if (body.length < data.length) cutShort++;
      else expect(got.error).toBeUndefined();
      if (got.error !== undefined) expect(got.error).toBe("ECONNRESET");
    }
    const stats = model.stats();
    expect(stats.resets).toBeGreaterThan(0);
    expect(stats.resets).toBeLessThan(8);
    expect(cutShort).toBe(stats.resets);
    expect(stats.stalls).toBeGreaterThanOrEqual(8);
    expect(stats.recent.filter((e) => e.kind === "stall").every((e) => e.durationMs === 200)).toBe(true);
  });

  it("holds a stalled direction for the stall's duration, the connection open, then goes on", async () => {
    const body = randomBytes(MB);
    const source = await started(startTcpServer((socket) => socket.end(body)));
    const profile: LinkProfile = { rttMs: 20, down: { stalls: { afterBytes: 256 * 1024, durationMs: 800 } } };
    const model = await started(startLinkModel({ upstream: `http://127.0.0.1:${source.port}`, profile }));
    const client = connectTo(model);
    const got = collect(client);
    client.end();
    await got.done;
    expect(sha256(Buffer.concat(got.chunks))).toBe(sha256(body));
    const at = got.marks.findIndex(([, bytes]) => bytes === 256 * 1024);
    expect(at).toBeGreaterThanOrEqual(0);
    const [heldFrom] = got.marks[at] as [number, number];
    const [heldUntil] = got.marks[at + 1] as [number, number];
    expect(heldUntil - heldFrom).toBeGreaterThanOrEqual(795);
    expect(model.stats().recent).toEqual([
      expect.objectContaining({ kind: "stall", direction: "down", atByte: 256 * 1024, durationMs: 800 }),
    ]);
  });

  it("holds a stall 'forever' until close(), without a FIN", async () => {
    const source = await started(startTcpServer((socket) => socket.end(randomBytes(MB))));
    const profile: LinkProfile = { stalls: { afterBytes: 64 * 1024, durationMs: "forever" } };
    const model = await startLinkModel({ upstream: `http://127.0.0.1:${source.port}`, profile });
    const client = connectTo(model);
    const got = collect(client);
    await sleep(1_000);
    expect(got.bytes).toBe(64 * 1024);
    expect(got.ended).toBe(false);
    expect(client.destroyed).toBe(false);
    await model.close();
    await got.done;
    expect(got.bytes).toBe(64 * 1024);
    expect(got.ended).toBe(false);
    expect(got.error).toBe("ECONNRESET");
  });

  it("resets a connection moving data on both ends, as ECONNRESET", async () => {
    const sinks: Arrivals[] = [];
    const sink = await started(startTcpServer((socket) => sinks.push(collect(socket, false))));
    const model = await started(
      startLinkModel({ upstream: `http://127.0.0.1:${sink.port}`, profile: { resetEveryBytes: MB } }),
    );
    const client = connectTo(model);
    const got = collect(client);
    flood(client);
    await got.done;
    await sinks[0]?.done;
    expect(got.error).toBe("ECONNRESET");
    expect(sinks.map((s) => s.error)).toEqual(["ECONNRESET"]);
    const [reset] = model.stats().recent;
    expect(reset).toEqual(expect.objectContaining({ kind: "reset", connection: 1, direction: "up" }));
    // The gap to a reset is drawn from 0.5–1.5 × resetEveryBytes; the chunk that would cross it is lost.
    expect(reset?.atByte).toBeGreaterThanOrEqual(MB / 2 - CHUNK.length);
    expect(reset?.atByte).toBeLessThan(1.5 * MB);
  });

  it("rejects a bad profile with one line naming the setting", async () => {
    await expect(
      startLinkModel({ upstream: "http://127.0.0.1:9", profile: { linkRate: 0 } }),
    ).rejects.toThrow("link model: up.linkRate must be > 0 bytes/s");
    await expect(
      startLinkModel({
        upstream: "http://127.0.0.1:9",
        profile: { down: { stalls: { durationMs: [5, 1] } } },
      }),
    ).rejects.toThrow("link model: down.stalls.durationMs");
    expect(Object.keys(LINK_PROFILES)).toEqual(["loopback", "near", "cross-border", "long-fat"]);
  });

  describe("with MinIO behind it", () => {
    let minio: S3Server | undefined;
    afterAll(async () => {
      await minio?.stop();
    });

    it("passes SigV4-signed PUT and GET unchanged", async () => {
      minio = await startMinio(TARGET_OPTIONS);
      const model = await started(
        startLinkModel({ upstream: minio.endpoint, profile: { rttMs: 20, connectionRate: 20 * MB } }),
      );
      const s3 = s3ClientFor({ ...minio, endpoint: model.endpoint });
      const body = randomBytes(3 * MB);
      await s3.send(new CreateBucketCommand({ Bucket: "through-the-link" }));
      await s3.send(new PutObjectCommand({ Bucket: "through-the-link", Key: "k", Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket: "through-the-link", Key: "k" }));
      const back = Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      s3.destroy();
      expect(sha256(back)).toBe(sha256(body));
      const stats = model.stats();
      expect(stats.bytesUp).toBeGreaterThan(body.length);
      expect(stats.bytesDown).toBeGreaterThan(body.length);
    });
  });
});
