import { createServer, type Server, type Socket } from "node:net";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceClientSettings } from "./request-handler.js";

/** A server on 127.0.0.1 that accepts every connection and never answers. */
let silent: Server;
const sockets: Socket[] = [];
let endpoint: string;

beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe("serviceClientSettings", () => {
  it("fails an SQS call to a server that accepts and never answers within the idle bound", async () => {
    const idleTimeoutMs = 1_500;
    const sqs = new SQSClient({
      ...serviceClientSettings(idleTimeoutMs),
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AK", secretAccessKey: "SK" },
      maxAttempts: 1,
    });
    const started = Date.now();
    try {
      const call = sqs.send(new GetQueueAttributesCommand({ QueueUrl: `${endpoint}/1/q` }));
      await expect(call).rejects.toMatchObject({ name: "TimeoutError" });
      // Generous: the bound, plus a loaded machine's slack.
      expect(Date.now() - started).toBeLessThan(idleTimeoutMs + 5_000);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      sqs.destroy();
    }
  });
});
