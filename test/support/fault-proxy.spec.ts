// The fault proxy (test support): forwards signed S3 requests unchanged, and injects each fault
// kind the way test/soak and bench rely on.
import { createHash } from "node:crypto";
import { createServer as createHttpServer, request as httpRequest, type Server } from "node:http";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AwsChunkedCounter,
  type FaultProxy,
  type FaultRates,
  s3Operation,
  seededRandom,
  startFaultProxy,
} from "./fault-proxy.js";
import { type S3Server, s3ClientFor, startMinio, TARGET_OPTIONS } from "./minio.js";

const BODY = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7919) % 251));

/** A plain upstream: GET returns BODY, PUT answers with the MD5 and length of what it received. */
async function startUpstream(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((req, res) => {
    if (req.method === "PUT") {
      const hash = createHash("md5");
      let length = 0;
      req.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      req.on("end", () => res.end(JSON.stringify({ md5: hash.digest("hex"), length })));
      return;
    }
    res.writeHead(200, { "Content-Length": BODY.length, ETag: '"x"' });
    res.end(req.method === "HEAD" ? undefined : BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Fetched {
  status?: number;
  body: Buffer;
  /** The connection failed (reset, or closed before the declared length). */
  error?: string;
  ms: number;
}

/** One request on a fresh connection, reporting what arrived and how it ended. */
function fetchRaw(endpoint: string, method: string, path: string, body?: Buffer): Promise<Fetched> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    const done = (error?: string) =>
      resolve({ status, body: Buffer.concat(chunks), error, ms: Date.now() - started });
    const req = httpRequest(`${endpoint}${path}`, {
      method,
      agent: false,
      headers: body ? { "Content-Length": body.length } : {},
    });
    req.on("response", (res) => {
      status = res.statusCode;
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => done());
      res.on("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
      res.on("aborted", () => done("aborted"));
    });
    req.on("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    req.end(body);
  });
}

describe("fault proxy", () => {
  let upstream: { endpoint: string; close(): Promise<void> };
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await upstream?.close();
  });

  async function proxyWith(rates: FaultRates, seed: number | string = 7): Promise<FaultProxy> {
    const proxy = await startFaultProxy({ upstream: upstream.endpoint, rates, seed, stallMs: 400 });
    proxies.push(proxy);
    return proxy;
  }

  it("names S3 operations from method, path and query", () => {
    expect(s3Operation("GET", "/b/k")).toBe("GetObject");
    expect(s3Operation("GET", "/b?list-type=2&prefix=a")).toBe("ListObjectsV2");
    expect(s3Operation("PUT", "/b/k?partNumber=3&uploadId=u")).toBe("UploadPart");
    expect(s3Operation("POST", "/b/k?uploads")).toBe("CreateMultipartUpload");
    expect(s3Operation("POST", "/b/k?uploadId=u")).toBe("CompleteMultipartUpload");
    expect(s3Operation("DELETE", "/b/k?uploadId=u")).toBe("AbortMultipartUpload");
    expect(s3Operation("HEAD", "/b")).toBe("HeadBucket");
    expect(s3Operation("HEAD", "/b/a/b")).toBe("HeadObject");
  });

  it("passes requests and bodies through unchanged at rate 0, and counts them", async () => {
    const proxy = await proxyWith({});
    const got = await fetchRaw(proxy.endpoint, "GET", "/b/k");
    expect(got.error).toBeUndefined();
    expect(got.body.equals(BODY)).toBe(true);
    const put = await fetchRaw(proxy.endpoint, "PUT", "/b/k", BODY);
    expect(JSON.parse(put.body.toString())).toEqual({
      md5: createHash("md5").update(BODY).digest("hex"),
      length: BODY.length,
    });
    const stats = proxy.stats();
    expect(stats.operations).toEqual({ GetObject: 1, PutObject: 1 });
    expect(stats.bytesDown).toBeGreaterThanOrEqual(BODY.length);
    expect(stats.bytesUp).toBe(BODY.length);
    expect(stats.uploadBytesAccepted).toBe(BODY.length);
    expect(Object.values(stats.faults).every((n) => n === 0)).toBe(true);
  });

  it("answers 503 SlowDown and 500 InternalError as S3 XML errors", async () => {
    const slow = await fetchRaw((await proxyWith({ slowDown: 1 })).endpoint, "PUT", "/b/k", BODY);
    expect(slow.status).toBe(503);
    expect(slow.body.toString()).toContain("<Code>SlowDown</Code>");
    const internal = await fetchRaw((await proxyWith({ internalError: 1 })).endpoint, "GET", "/b/k");
    expect(internal.status).toBe(500);
    expect(internal.body.toString()).toContain("<Code>InternalError</Code>");
  });

  it("resets the connection in the middle of a download", async () => {
    const proxy = await proxyWith({ reset: 1 });
    const got = await fetchRaw(proxy.endpoint, "GET", "/b/k");
    expect(got.error).toBeDefined();
    expect(got.body.length).toBeLessThan(BODY.length);
    expect(proxy.stats().faults.reset).toBe(1);
  });

  it("resets uploads mid-body or before the answer, so the server never answers 200 to the client", async () => {
    const proxy = await proxyWith({ reset: 1 }, "uploads");
    for (let i = 0; i < 6; i++) {
      const put = await fetchRaw(proxy.endpoint, "PUT", "/b/k", BODY);
      expect(put.error).toBeDefined();
    }
    const where = proxy.stats().recent.map((f) => f.where);
    expect(where).toContain("request");
    expect(where).toContain("response");
  });

  it("truncates a download with a clean close: fewer bytes than Content-Length", async () => {
    const proxy = await proxyWith({ truncate: 1 });
    const got = await fetchRaw(proxy.endpoint, "GET", "/b/k");
    expect(got.body.length).toBeLessThan(BODY.length);
    expect(got.body.equals(BODY.subarray(0, got.body.length))).toBe(true);
    expect(got.error).toBeDefined();
  });

  it("stalls a body and then delivers it intact", async () => {
    const proxy = await proxyWith({ stall: 1 });
    const got = await fetchRaw(proxy.endpoint, "GET", "/b/k");
    expect(got.error).toBeUndefined();
    expect(got.body.equals(BODY)).toBe(true);
    expect(got.ms).toBeGreaterThanOrEqual(350);
  });

  it("corrupts exactly one byte when asked to", async () => {
    const proxy = await proxyWith({ corrupt: 1 }, "corrupt");
    const got = await fetchRaw(proxy.endpoint, "GET", "/b/k");
    expect(got.body.length).toBe(BODY.length);
    let differing = 0;
    for (let i = 0; i < BODY.length; i++) if (got.body[i] !== BODY[i]) differing++;
    expect(differing).toBe(1);
  });

  it("counts the payload of aws-chunked bodies without their framing", () => {
    const counter = new AwsChunkedCounter();
    const body = Buffer.from("5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    let data = 0;
    for (let i = 0; i < body.length; i += 4) data += counter.count(body.subarray(i, i + 4));
    expect(data).toBe(8);
  });

  it("makes the same decisions for the same seed", async () => {
    const a = seededRandom("soak");
    const b = seededRandom("soak");
    const c = seededRandom("other");
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    const rates = { slowDown: 0.3, reset: 0.3 };
    const kinds = async (seed: string) => {
      const proxy = await proxyWith(rates, seed);
      for (let i = 0; i < 10; i++) await fetchRaw(proxy.endpoint, "HEAD", "/b/k");
      return proxy.stats().recent.map((f) => f.kind);
    };
    expect(await kinds("same")).toEqual(await kinds("same"));
  });
});

describe("fault proxy in front of MinIO", () => {
  let server: S3Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    server = await startMinio(TARGET_OPTIONS);
    proxy = await startFaultProxy({ upstream: server.endpoint });
  });

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it("keeps SigV4 signatures valid, and the SDK retries its faults", async () => {
    const direct = s3ClientFor(server);
    const viaProxy = s3ClientFor({ ...server, endpoint: proxy.endpoint });
    await direct.send(new CreateBucketCommand({ Bucket: "proxied" }));
    await viaProxy.send(new PutObjectCommand({ Bucket: "proxied", Key: "a/b c.txt", Body: BODY }));
    proxy.setRates({ slowDown: 0.5 });
    const listed = await viaProxy.send(new ListObjectsV2Command({ Bucket: "proxied" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["a/b c.txt"]);
    proxy.setRates({});
    const got = await viaProxy.send(new GetObjectCommand({ Bucket: "proxied", Key: "a/b c.txt" }));
    expect(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array())).equals(BODY)).toBe(true);
    expect(proxy.stats().operations.PutObject).toBe(1);
  });
});
