import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createS3Client, resolveSide } from "./s3-client.js";

describe("resolveSide", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "s3xsync-profiles-"));
    await writeFile(
      join(dir, "config"),
      "[profile beijing]\nregion = cn-north-1\nendpoint_url = http://127.0.0.1:9000\n",
    );
    await writeFile(join(dir, "credentials"), "[beijing]\naws_access_key_id = AKIDEXAMPLE\n");
    vi.stubEnv("AWS_CONFIG_FILE", join(dir, "config"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", join(dir, "credentials"));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes region and endpoint from the named profile", async () => {
    expect(await resolveSide({ profile: "beijing" }, "us-east-1")).toMatchObject({
      region: "cn-north-1",
      endpoint: "http://127.0.0.1:9000",
    });
  });

  it.each(["toString", "constructor", "__proto__"])(
    "knows no profile %s that is not in the files",
    async (name) => {
      await expect(resolveSide({ profile: name }, "us-east-1")).rejects.toThrow(
        `profile "${name}" is not in the shared AWS config or credentials file`,
      );
    },
  );
});

describe("createS3Client", () => {
  it("retries a request the server answered HTTP 499 (client closed request)", async () => {
    const statuses = [499, 200];
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(statuses.shift() ?? 500).end();
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const { port } = server.address() as AddressInfo;
    const client = createS3Client(
      {
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      },
      { maxSockets: 2, maxAttempts: 3, stallTimeoutMs: 5_000 },
      "target",
    );
    try {
      const answer = await client.send(new HeadBucketCommand({ Bucket: "bucket" }));
      expect(answer.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 2 });
    } finally {
      client.destroy();
      server.close();
    }
  });
});
