import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The largest notification body accepted. MinIO POSTs one record per request (about 1-2 KB, with
 * a 1,024-byte key and user metadata); 64 KiB leaves room for 30 such records, and events in
 * flight times this stays a few MiB beside the copies' memory.
 */
export const MAX_BODY_BYTES = 64 * 1024;

/** Requests being read and journaled at once; beyond, `503` with Retry-After (the sender retries). */
export const MAX_CONCURRENT_REQUESTS = 64;

/**
 * Connections at most: a request over MAX_CONCURRENT_REQUESTS still gets its `503`, one over this is
 * refused, so a flood of idle connections cannot exhaust the worker's sockets.
 */
const MAX_CONNECTIONS = 4 * MAX_CONCURRENT_REQUESTS;

/**
 * A request must arrive whole within this (its body too): a 64 KiB body needs well under a second
 * even across the border, and a refused 50 MB one is read to its end at a few MB/s.
 */
const REQUEST_TIMEOUT_MS = 60_000;

/** What a `503` tells the sender to wait before trying again, in seconds. */
const RETRY_AFTER_SECONDS = 1;

/** A body the receiver refuses (HTTP 400): the message says why. */
export class RejectedEventError extends Error {
  override name = "RejectedEventError";
}

export interface WebhookReceiverOptions {
  host: string;
  port: number;
  /**
   * Stores an accepted body durably; throws RejectedEventError for a body that is no event, any
   * other error when the event cannot be stored now (answered `503`, so the sender retries).
   */
  accept(body: string): Promise<void>;
  /** Extra fields of GET answers (the health check). */
  status(): object;
}

export interface WebhookReceiver {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
  /** Stops accepting connections; resolves when the requests being answered are done. */
  close(): Promise<void>;
}

/**
 * Reads the body, or only discards it once it is larger than MAX_BODY_BYTES (undefined then): the
 * sender gets its answer only after it has sent everything, so it sees the status, not a reset.
 */
function readBody(request: IncomingMessage, keep: boolean): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = !keep || Number(request.headers["content-length"] ?? 0) > MAX_BODY_BYTES;
    request.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      tooLarge = size > MAX_BODY_BYTES;
      if (tooLarge) chunks.length = 0;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function answer(response: ServerResponse, status: number, body: object): void {
  const retry = status === 503 ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
  response.writeHead(status, { "content-type": "application/json", ...retry });
  response.end(`${JSON.stringify(body)}\n`);
}

/** Answers one POST: 200 once stored, 400 no event, 413 too large, 503 busy or not stored. */
async function receive(options: WebhookReceiverOptions, request: IncomingMessage, busy: boolean) {
  const body = await readBody(request, !busy);
  if (busy) {
    return [503, { error: `busy: ${MAX_CONCURRENT_REQUESTS} requests are being answered; retry` }] as const;
  }
  if (body === undefined) return [413, { error: `body larger than ${MAX_BODY_BYTES} bytes` }] as const;
  try {
    await options.accept(body);
    return [200, {}] as const;
  } catch (error) {
    return [error instanceof RejectedEventError ? 400 : 503, { error: (error as Error).message }] as const;
  }
}

/**
 * Receives S3 event notifications pushed over HTTP (MinIO's webhook target: a POST whose JSON body
 * holds S3 notification `Records`). A POST is answered 200 only after `accept` stored the event, so
 * the sender (which keeps undelivered events in its own queue_dir) retries anything not stored.
 * GET and HEAD answer 200 with the status: a health check.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  let active = 0;
  const server: Server = createServer((request, response) => {
    if (request.method === "GET" || request.method === "HEAD") {
      answer(response, 200, { status: "ok", ...options.status() });
      return;
    }
    if (request.method !== "POST") {
      request.resume();
      answer(response, 405, { error: "POST S3 event notifications here" });
      return;
    }
    const busy = active >= MAX_CONCURRENT_REQUESTS;
    if (!busy) active++;
    receive(options, request, busy)
      .then(
        ([status, body]) => answer(response, status, { accepted: status === 200, ...body }),
        () => response.destroy(),
      )
      .finally(() => {
        if (!busy) active--;
      });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
