// A fault-injecting HTTP proxy for S3 on loopback: it sits between a client (the CLI, pointed at it
// with --source-endpoint/--target-endpoint) and one S3 server on 127.0.0.1, forwards every request
// unchanged (the Host header too, so SigV4 signatures stay valid) and, at configured rates, answers
// or breaks a request the ways a lossy link and a busy S3 do:
//
// - slowDown:      503 SlowDown, without forwarding (S3's throttling answer)
// - internalError: 500 InternalError, without forwarding
// - reset:         TCP RST in the middle of a body: of the upload (request) or of the download
//                  (response); a request without a body is reset before its response's headers
//                  (the server has done the work; the client cannot know)
// - stall:         the body stops for `stallMs`, then goes on
// - truncate:      the response ends early with a clean FIN: fewer bytes than its Content-Length
// - corrupt:       one byte of a body is flipped (in either direction); not a fault S3 or TCP
//                  produces, off by default: a check that integrity checks catch what framing cannot
//
// Decisions come from a seeded generator, so a run is repeatable for a given seed and request order.
// The proxy counts requests per S3 operation, the faults it injected and the body bytes it passed
// on; benchmarks use it with all rates at 0 as a request and byte counter. It listens on 127.0.0.1
// only, lives in the process that starts it and stops with close() (or that process).
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";

export const FAULT_KINDS = ["slowDown", "internalError", "reset", "stall", "truncate", "corrupt"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probability per request of each fault (0..1); at most one fault per request; sum ≤ 1. */
export type FaultRates = Partial<Record<FaultKind, number>>;

/** The S3 operation of a request, from its method, path and query (path-style addressing). */
export type S3Operation =
  | "ListBuckets"
  | "HeadBucket"
  | "CreateBucket"
  | "ListObjectsV2"
  | "ListMultipartUploads"
  | "HeadObject"
  | "GetObject"
  | "GetObjectTagging"
  | "PutObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "ListParts"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "DeleteObject"
  | "DeleteObjects"
  | "Other";

export interface FaultProxyOptions {
  /** The server behind the proxy, e.g. `http://127.0.0.1:40123`. */
  upstream: string;
  rates?: FaultRates;
  /** Seed of the fault decisions (default 1). */
  seed?: number | string;
  /** How long a stall lasts: fixed, or [min, max] drawn uniformly. Default [500, 3000] ms. */
  stallMs?: number | [number, number];
  /** Which requests may be faulted (default: all). */
  eligible?: (request: { method: string; url: string; operation: S3Operation }) => boolean;
  /** Keep the last N injected faults in stats().recent (default 200). */
  keepRecent?: number;
  /**
   * Delay before each request is handled, in ms (default 0): a crude model of a long link, where
   * every request costs at least one round trip. Bandwidth and TCP windows are not modelled.
   */
  latencyMs?: number;
}

export interface InjectedFault {
  kind: FaultKind;
  operation: S3Operation;
  method: string;
  /** Path of the request (bucket and key), without the query. */
  path: string;
  /** Where the fault hit: before forwarding, the request body, the response (headers or body). */
  where: "answer" | "request" | "response";
  /** Body bytes that had passed when the fault hit. */
  atByte?: number;
}

export interface FaultProxyStats {
  requests: number;
  operations: Partial<Record<S3Operation, number>>;
  faults: Record<FaultKind, number>;
  /** Faults per operation, e.g. { "UploadPart": { reset: 3 } }. */
  faultsByOperation: Partial<Record<S3Operation, Partial<Record<FaultKind, number>>>>;
  /** Request body bytes passed on to the server (of uploads: parts and whole objects). */
  bytesUp: number;
  /** Response body bytes passed back to the client. */
  bytesDown: number;
  /** bytesUp and bytesDown per operation. */
  bytesUpByOperation: Partial<Record<S3Operation, number>>;
  /**
   * Like bytesUpByOperation, but payload bytes: an aws-chunked body (the SDK's streamed uploads
   * with a trailing checksum) is counted without its chunk framing and trailer.
   */
  payloadUpByOperation: Partial<Record<S3Operation, number>>;
  bytesDownByOperation: Partial<Record<S3Operation, number>>;
  /** Request body bytes of UploadPart and PutObject that the server answered with 200. */
  uploadBytesAccepted: number;
  /** The last injected faults, oldest first. */
  recent: InjectedFault[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the server's endpoint. */
  endpoint: string;
  upstream: string;
  stats(): FaultProxyStats;
  /** Zeroes the counters (e.g. between runs). */
  resetStats(): void;
  setRates(rates: FaultRates): void;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

/** A small fast PRNG (sfc32) seeded from a string or number. */
export function seededRandom(seed: number | string): () => number {
  let h = 1779033703 ^ String(seed).length;
  const text = String(seed);
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next = () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    h ^= h >>> 16;
    return h >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** The S3 operation of a path-style request. */
export function s3Operation(method: string, url: string): S3Operation {
  const parsed = new URL(url, "http://proxy");
  const q = parsed.searchParams;
  const segments = parsed.pathname.split("/").filter((s) => s !== "");
  const hasKey = segments.length > 1;
  const hasBucket = segments.length > 0;
  switch (method) {
    case "GET":
      if (!hasBucket) return "ListBuckets";
      if (hasKey) {
        if (q.has("uploadId")) return "ListParts";
        if (q.has("tagging")) return "GetObjectTagging";
        return "GetObject";
      }
      if (q.has("uploads")) return "ListMultipartUploads";
      if (q.get("list-type") === "2") return "ListObjectsV2";
      return "Other";
    case "HEAD":
      return hasKey ? "HeadObject" : hasBucket ? "HeadBucket" : "Other";
    case "PUT":
      if (!hasKey) return hasBucket && [...q.keys()].length === 0 ? "CreateBucket" : "Other";
      if (q.has("partNumber") && q.has("uploadId")) return "UploadPart";
      return q.has("tagging") ? "Other" : "PutObject";
    case "POST":
      if (hasKey && q.has("uploads")) return "CreateMultipartUpload";
      if (hasKey && q.has("uploadId")) return "CompleteMultipartUpload";
      if (!hasKey && q.has("delete")) return "DeleteObjects";
      return "Other";
    case "DELETE":
      if (hasKey) return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
      return "Other";
    default:
      return "Other";
  }
}

function emptyFaultCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

function emptyStats(): FaultProxyStats {
  return {
    requests: 0,
    operations: {},
    faults: emptyFaultCounts(),
    faultsByOperation: {},
    bytesUp: 0,
    bytesDown: 0,
    bytesUpByOperation: {},
    payloadUpByOperation: {},
    bytesDownByOperation: {},
    uploadBytesAccepted: 0,
    recent: [],
  };
}

function errorXml(code: string, message: string, resource: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${resource.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Resource>` +
    `<RequestId>fault-proxy</RequestId></Error>`
  );
}

/** Headers forwarded as they came, except `Expect` (the proxy has already answered 100-continue). */
function forwardedHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.toLowerCase() === "expect") continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

interface BodyFault {
  /** Bytes passed before the fault acts. */
  atByte: number;
  act: "reset" | "stall" | "truncate" | "corrupt";
  stallMs: number;
}

/**
 * Copies `from` into `to` with backpressure, applying a body fault at its byte offset. Resolves with
 * the bytes passed and whether the body ended (false when a reset or truncation cut it).
 */
async function pump(
  from: Readable,
  to: Writable,
  fault: BodyFault | undefined,
  hooks: {
    onFault: (passed: number) => void;
    onCut: (act: "reset" | "truncate") => void;
    onBytes: (chunk: Buffer) => void;
  },
): Promise<{ passed: number; complete: boolean }> {
  let passed = 0;
  let faultDone = fault === undefined;
  const write = async (chunk: Buffer) => {
    if (chunk.length === 0) return;
    hooks.onBytes(chunk);
    passed += chunk.length;
    if (!to.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          to.off("drain", done);
          to.off("close", done);
          resolve();
        };
        to.on("drain", done);
        to.on("close", done);
      });
    }
  };
  for await (const data of from) {
    let chunk = data as Buffer;
    if (to.destroyed) return { passed, complete: false };
    if (!faultDone && fault && passed + chunk.length > fault.atByte) {
      const head = chunk.subarray(0, fault.atByte - passed);
      let tail = chunk.subarray(fault.atByte - passed);
      await write(head);
      faultDone = true;
      hooks.onFault(passed);
      if (fault.act === "reset" || fault.act === "truncate") {
        hooks.onCut(fault.act);
        return { passed, complete: false };
      }
      if (fault.act === "stall") {
        await new Promise((resolve) => setTimeout(resolve, fault.stallMs));
      } else if (tail.length > 0) {
        tail = Buffer.from(tail);
        tail[0] = (tail[0] as number) ^ 0x5a;
      }
      chunk = tail;
    }
    await write(chunk);
  }
  return { passed, complete: true };
}

/** Counts the data bytes of an aws-chunked body (`<hex>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>`), chunk by chunk. */
export class AwsChunkedCounter {
  private header = "";
  private left = 0;
  private skip = 0;
  private done = false;

  /** Data bytes in `chunk`. */
  count(chunk: Buffer): number {
    let data = 0;
    let i = 0;
    while (i < chunk.length && !this.done) {
      if (this.left > 0) {
        const take = Math.min(this.left, chunk.length - i);
        data += take;
        this.left -= take;
        i += take;
        if (this.left === 0) this.skip = 2; // the CRLF after the data
      } else if (this.skip > 0) {
        this.skip--;
        i++;
      } else {
        const byte = chunk[i++] as number;
        if (byte === 0x0a) {
          const size = Number.parseInt(this.header.split(";")[0] ?? "", 16);
          this.header = "";
          if (size === 0) this.done = true;
          else this.left = Number.isNaN(size) ? 0 : size;
        } else if (byte !== 0x0d) this.header += String.fromCharCode(byte);
      }
    }
    return data;
  }
}

/** Starts a fault proxy on 127.0.0.1 (a free port) in front of `upstream`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:") throw new Error("the fault proxy forwards to plain http only");
  let rates: FaultRates = { ...(options.rates ?? {}) };
  const random = seededRandom(options.seed ?? 1);
  const stallRange = options.stallMs ?? [500, 3000];
  const keepRecent = options.keepRecent ?? 200;
  let stats = emptyStats();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Socket>();

  const drawStall = () =>
    typeof stallRange === "number"
      ? stallRange
      : stallRange[0] + Math.floor(random() * (stallRange[1] - stallRange[0] + 1));

  const pickFault = (): FaultKind | undefined => {
    const r = random();
    let sum = 0;
    for (const kind of FAULT_KINDS) {
      sum += rates[kind] ?? 0;
      if (r < sum) return kind;
    }
    return undefined;
  };

  const record = (fault: InjectedFault) => {
    stats.faults[fault.kind]++;
    const byOp = stats.faultsByOperation[fault.operation] ?? {};
    byOp[fault.kind] = (byOp[fault.kind] ?? 0) + 1;
    stats.faultsByOperation[fault.operation] = byOp;
    stats.recent.push(fault);
    if (stats.recent.length > keepRecent) stats.recent.shift();
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const operation = s3Operation(method, url);
    const path = url.split("?")[0] ?? "/";
    stats.requests++;
    stats.operations[operation] = (stats.operations[operation] ?? 0) + 1;
    const declaredLength = Number(req.headers["content-length"] ?? 0);
    const hasRequestBody = declaredLength > 0 || req.headers["transfer-encoding"] !== undefined;
    const awsChunked = /aws-chunked/i.test(String(req.headers["content-encoding"] ?? ""));
    const payload = awsChunked ? new AwsChunkedCounter() : undefined;
    const kind = options.eligible && !options.eligible({ method, url, operation }) ? undefined : pickFault();

    if (kind === "slowDown" || kind === "internalError") {
      record({ kind, operation, method, path, where: "answer" });
      const [status, code, message] =
        kind === "slowDown"
          ? [503, "SlowDown", "Please reduce your request rate."]
          : [500, "InternalError", "We encountered an internal error. Please try again."];
      // Read the body first, as a server that rejects a request after receiving it would.
      req.resume();
      req.on("end", () => {
        const body = method === "HEAD" ? "" : errorXml(code, message, path);
        res.writeHead(status, {
          "Content-Type": "application/xml",
          "Content-Length": Buffer.byteLength(body),
          "x-amz-request-id": "fault-proxy",
        });
        res.end(body);
      });
      return;
    }

    // Where a body fault acts: on the upload when the request has a body (half of the resets,
    // stalls and corruptions), else on the response.
    const bodyKind = kind as BodyFault["act"] | undefined;
    const onRequest = bodyKind !== undefined && hasRequestBody && bodyKind !== "truncate" && random() < 0.5;
    const requestFault: BodyFault | undefined =
      onRequest && bodyKind
        ? { act: bodyKind, atByte: Math.floor(random() * Math.max(1, declaredLength)), stallMs: drawStall() }
        : undefined;
    const responseFaultKind = onRequest ? undefined : bodyKind;

    const upstreamReq = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method,
      path: url,
      headers: forwardedHeaders(req.rawHeaders) as unknown as Record<string, string>,
      agent,
    });
    let finished = false;
    const abortBoth = (how: "reset" | "end") => {
      if (finished) return;
      finished = true;
      upstreamReq.destroy();
      if (how === "reset") req.socket.resetAndDestroy();
      else req.socket.end();
    };
    res.on("close", () => {
      // The client went away before the answer was complete: so does the request to the server.
      if (!res.writableFinished) upstreamReq.destroy();
    });
    upstreamReq.on("error", () => {
      // The server went away or the proxy cut the request: the client learns by a reset.
      if (!finished) abortBoth("reset");
    });

    upstreamReq.on("response", (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      const length = Number(upstreamRes.headers["content-length"] ?? -1);
      const bodyExpected = method !== "HEAD" && status !== 204 && status !== 304 && length !== 0;
      if (
        status === 200 &&
        (operation === "UploadPart" || operation === "PutObject") &&
        Number.isFinite(declaredLength)
      ) {
        stats.uploadBytesAccepted += declaredLength;
      }
      let fault: BodyFault | undefined;
      if (responseFaultKind) {
        if (!bodyExpected) {
          // No body to break: stall before the headers, or cut the connection instead of answering.
          if (responseFaultKind === "stall") {
            fault = { act: "stall", atByte: 0, stallMs: drawStall() };
            record({ kind: "stall", operation, method, path, where: "response", atByte: 0 });
          } else if (responseFaultKind === "corrupt") fault = undefined;
          else {
            record({ kind: responseFaultKind, operation, method, path, where: "response", atByte: 0 });
            upstreamRes.resume();
            abortBoth(responseFaultKind === "reset" ? "reset" : "end");
            return;
          }
        } else {
          const span = length > 0 ? length : 1024;
          fault = { act: responseFaultKind, atByte: Math.floor(random() * span), stallMs: drawStall() };
        }
      }
      const sendHeaders = () => {
        res.writeHead(status, upstreamRes.statusMessage, upstreamRes.rawHeaders);
      };
      const respond = async () => {
        if (fault?.act === "stall" && !bodyExpected) {
          await new Promise((resolve) => setTimeout(resolve, fault.stallMs));
        }
        if (res.destroyed) return;
        sendHeaders();
        const bodyFault = bodyExpected ? fault : undefined;
        const { complete } = await pump(upstreamRes, res, bodyFault, {
          onFault: (atByte) => {
            if (bodyFault)
              record({ kind: bodyFault.act, operation, method, path, where: "response", atByte });
          },
          onCut: (act) => abortBoth(act === "reset" ? "reset" : "end"),
          onBytes: (chunk) => {
            stats.bytesDown += chunk.length;
            stats.bytesDownByOperation[operation] =
              (stats.bytesDownByOperation[operation] ?? 0) + chunk.length;
          },
        });
        if (complete && !res.destroyed) {
          finished = true;
          res.end();
        }
      };
      respond().catch(() => abortBoth("reset"));
    });

    pump(req, upstreamReq, requestFault, {
      onFault: (atByte) => {
        if (requestFault)
          record({ kind: requestFault.act, operation, method, path, where: "request", atByte });
      },
      onCut: (act) => abortBoth(act === "reset" ? "reset" : "end"),
      onBytes: (chunk) => {
        stats.bytesUp += chunk.length;
        stats.bytesUpByOperation[operation] = (stats.bytesUpByOperation[operation] ?? 0) + chunk.length;
        stats.payloadUpByOperation[operation] =
          (stats.payloadUpByOperation[operation] ?? 0) + (payload ? payload.count(chunk) : chunk.length);
      },
    })
      .then(({ complete }) => {
        if (complete) upstreamReq.end();
      })
      .catch(() => abortBoth("reset"));
  };

  const latencyMs = options.latencyMs ?? 0;
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const run = () => {
      try {
        handle(req, res);
      } catch {
        req.socket.resetAndDestroy();
      }
    };
    if (latencyMs > 0) setTimeout(run, latencyMs);
    else run();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    upstream: options.upstream,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    setRates: (next) => {
      rates = { ...next };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closing;
    },
  };
}
