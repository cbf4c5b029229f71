import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { boundedRequestHandler } from "./bounded-request-handler.js";

describe("boundedRequestHandler", () => {
  it("fails a call whose server takes the request and never answers", { timeout: 40_000 }, async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket)).listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    const sns = new SNSClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      requestHandler: boundedRequestHandler(),
    });
    try {
      const publish = sns.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:1:t", Message: "m" }));
      await expect(publish).rejects.toThrow(/timed? ?out/i);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
      sns.destroy();
    }
  });
});
