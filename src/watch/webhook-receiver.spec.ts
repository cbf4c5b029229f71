import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  MAX_BODY_BYTES,
  MAX_CONCURRENT_REQUESTS,
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from "./webhook-receiver.js";

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function start(accept: WebhookReceiverOptions["accept"]): Promise<string> {
  receiver = await startWebhookReceiver({ host: "127.0.0.1", port: 0, accept, status: () => ({}) });
  return receiver.url;
}

/** POSTs `size` bytes in 1 MiB writes, declared up front or chunked, as a sender streaming a body does. */
function postStreamed(
  url: string,
  size: number,
  declared: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = declared ? { "content-length": size } : {};
    const req = request(url, { method: "POST", headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const more = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", more);
      }
      req.end();
    };
    more();
  });
}

describe("webhook receiver", { timeout: 20_000 }, () => {
  it.each([
    ["declared", true],
    ["chunked", false],
  ])(
    "answers a %s body over the limit 413 once it is read to its end, not with a reset",
    async (_, declared) => {
      const accepted: string[] = [];
      const url = await start(async (body) => {
        accepted.push(body);
      });
      const answer = await postStreamed(url, 50 * 1024 * 1024, declared);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        accepted: false,
        error: `body larger than ${MAX_BODY_BYTES} bytes`,
      });
      const atLimit = await fetch(url, { method: "POST", body: "x".repeat(MAX_BODY_BYTES) });
      expect(atLimit.status).toBe(200);
      expect(accepted.map((body) => body.length)).toEqual([MAX_BODY_BYTES]);
    },
  );

  it(`answers 503 with Retry-After beyond ${MAX_CONCURRENT_REQUESTS} requests at once`, async () => {
    const waiting: (() => void)[] = [];
    let hold = true;
    const url = await start(async () => {
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
    });
    const held = Array.from({ length: MAX_CONCURRENT_REQUESTS }, () =>
      fetch(url, { method: "POST", body: "{}" }),
    );
    while (waiting.length < MAX_CONCURRENT_REQUESTS) await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await fetch(url, { method: "POST", body: "{}" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /^busy: 64 requests are being answered/,
    );
    hold = false;
    for (const release of waiting) release();
    expect((await Promise.all(held)).map((answer) => answer.status)).toEqual(held.map(() => 200));
    const after = await fetch(url, { method: "POST", body: "{}" });
    expect(after.status).toBe(200);
  });
});
