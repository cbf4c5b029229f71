import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The largest notification body accepted; MinIO sends one record (about 1 KB) per request. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A body the receiver refuses (HTTP 400): the message says why. */
export class RejectedEventError extends Error {
  override name = "RejectedEventError";
}

export interface WebhookReceiverOptions {
  host: string;
  port: number;
  /** Stores an accepted body durably; throws RejectedEventError for a body that is no event. */
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

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RejectedEventError(`body larger than ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Receives S3 event notifications pushed over HTTP (MinIO's webhook target: a POST whose JSON body
 * holds S3 notification `Records`). A POST is answered 200 only after `accept` stored the event, so
 * the sender (which keeps undelivered events in its own queue_dir) retries anything not stored.
 * GET and HEAD answer 200 with the status: a health check.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: object) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (request.method === "GET" || request.method === "HEAD") {
      answer(200, { status: "ok", ...options.status() });
      return;
    }
    if (request.method !== "POST") {
      answer(405, { error: "POST S3 event notifications here" });
      return;
    }
    readBody(request)
      .then((body) => options.accept(body))
      .then(
        () => answer(200, { accepted: true }),
        (error: Error) =>
          answer(error instanceof RejectedEventError ? 400 : 503, { accepted: false, error: error.message }),
      );
  });
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
