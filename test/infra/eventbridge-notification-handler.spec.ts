// The custom resource that turns on EventBridge delivery for the source bucket, run against a
// small S3 stand-in (GET/PUT ?notification, stored as the XML the SDK sent) and a stand-in for
// CloudFormation's response URL. The SDK's own serializers and parsers are exercised for real.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import * as sdk from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

interface CfnResponse {
  Status: "SUCCESS" | "FAILED";
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data: Record<string, string>;
}

type Handler = (event: Record<string, unknown>, context?: unknown) => Promise<void>;

const require = createRequire(import.meta.url);
const crModule = require("../../infra/eventbridge-notification-handler.cjs") as {
  createHandler(notifications: unknown): Handler;
  s3Notifications(client: sdk.S3Client, s3sdk: typeof sdk): unknown;
  parsePhysicalId(id: unknown): { bucket: string; state: string } | undefined;
};

const OWNER = "111122223333";
const TOPIC_XML =
  "<TopicConfiguration><Id>existing-topic</Id><Topic>arn:aws-cn:sns:cn-north-1:111122223333:audit</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration>";
const QUEUE_XML =
  "<QueueConfiguration><Id>existing-queue</Id><Queue>arn:aws-cn:sqs:cn-north-1:111122223333:ingest</Queue><Event>s3:ObjectRemoved:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>logs/</Value></FilterRule></S3Key></Filter></QueueConfiguration>";
const wrap = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</NotificationConfiguration>`;

/** Bucket name -> stored notification XML; the buckets not listed do not exist. */
const buckets = new Map<string, string>();
const puts: { bucket: string; body: string; headers: IncomingMessage["headers"] }[] = [];
const responses: CfnResponse[] = [];
const logLines: string[] = [];
let s3Server: Server;
let cfnServer: Server;
let responseUrl: string;
let handler: Handler;

function s3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  s3Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://s3");
    const bucket = decodeURIComponent(url.pathname.replace(/^\/|\/$/g, ""));
    const body = await readBody(req);
    if (!url.searchParams.has("notification")) return s3Error(res, 400, "InvalidRequest");
    if (req.headers["x-amz-expected-bucket-owner"] !== OWNER) return s3Error(res, 403, "AccessDenied");
    if (bucket === "forbidden-bucket") return s3Error(res, 403, "AccessDenied");
    const stored = buckets.get(bucket);
    if (stored === undefined) return s3Error(res, 404, "NoSuchBucket");
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "application/xml" });
      return res.end(stored);
    }
    if (req.method === "PUT") {
      puts.push({ bucket, body, headers: req.headers });
      buckets.set(bucket, body);
      res.writeHead(200);
      return res.end();
    }
    return s3Error(res, 405, "MethodNotAllowed");
  });
  cfnServer = createServer(async (req, res) => {
    responses.push(JSON.parse(await readBody(req)) as CfnResponse);
    res.writeHead(200);
    res.end();
  });
  const s3Endpoint = await listen(s3Server);
  responseUrl = `${await listen(cfnServer)}/response?X-Amz-Signature=secret`;
  const client = new sdk.S3Client({
    endpoint: s3Endpoint,
    forcePathStyle: true,
    region: "cn-north-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
    maxAttempts: 1,
  });
  handler = crModule.createHandler(crModule.s3Notifications(client, sdk));
});

afterAll(async () => {
  await new Promise((resolve) => s3Server.close(resolve));
  await new Promise((resolve) => cfnServer.close(resolve));
});

afterEach(() => {
  vi.restoreAllMocks();
});

beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => {
    logLines.push(parts.join(" "));
  });
  buckets.clear();
  puts.length = 0;
  responses.length = 0;
});

function request(
  requestType: "Create" | "Update" | "Delete",
  bucket: string,
  physicalResourceId?: string,
): Record<string, unknown> {
  return {
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/sync/1",
    RequestId: "request-1",
    LogicalResourceId: "SourceBucketEventBridgeNotification",
    ResourceType: "Custom::S3EventBridgeNotification",
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
    ResourceProperties: { ServiceToken: "arn", BucketName: bucket, ExpectedBucketOwner: OWNER },
  };
}

async function run(event: Record<string, unknown>): Promise<CfnResponse> {
  await handler(event, { getRemainingTimeInMillis: () => 60_000 });
  expect(responses).toHaveLength(1);
  const [response] = responses;
  if (!response) throw new Error("no response");
  expect(response).toMatchObject({
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  return response;
}

describe("EventBridge notification custom resource", () => {
  it("turns EventBridge on and keeps the bucket's other notifications", async () => {
    buckets.set("source", wrap(TOPIC_XML + QUEUE_XML));
    const response = await run(request("Create", "source"));
    expect(response).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: "source|enabled-by-stack",
      Data: { EventBridgeEnabledByStack: "true" },
    });
    expect(puts).toHaveLength(1);
    const [put] = puts;
    expect(put?.headers["x-amz-skip-destination-validation"]).toBe("true");
    expect(put?.body).toMatch(
      /<EventBridgeConfiguration\s*\/>|<EventBridgeConfiguration><\/EventBridgeConfiguration>/,
    );
    expect(put?.body).toContain("<Id>existing-topic</Id>");
    expect(put?.body).toContain("<Topic>arn:aws-cn:sns:cn-north-1:111122223333:audit</Topic>");
    expect(put?.body).toContain("<Id>existing-queue</Id>");
    expect(put?.body).toContain("<Value>logs/</Value>");
  });

  it("leaves a bucket alone that already delivers to EventBridge, and remembers that", async () => {
    buckets.set("source", wrap(`${TOPIC_XML}<EventBridgeConfiguration></EventBridgeConfiguration>`));
    const response = await run(request("Create", "source"));
    expect(response).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: "source|was-enabled",
      Data: { EventBridgeEnabledByStack: "false" },
    });
    expect(puts).toHaveLength(0);
  });

  it("on deletion turns off only what it turned on, keeping the rest", async () => {
    buckets.set("source", wrap(TOPIC_XML));
    await run(request("Create", "source"));
    responses.length = 0;
    const response = await run(request("Delete", "source", "source|enabled-by-stack"));
    expect(response).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "source|enabled-by-stack" });
    expect(puts).toHaveLength(2);
    const stored = buckets.get("source") ?? "";
    expect(stored).not.toContain("EventBridgeConfiguration");
    expect(stored).toContain("<Id>existing-topic</Id>");
  });

  it("on deletion leaves delivery on when it was on before the stack", async () => {
    buckets.set("source", wrap("<EventBridgeConfiguration></EventBridgeConfiguration>"));
    const response = await run(request("Delete", "source", "source|was-enabled"));
    expect(response.Status).toBe("SUCCESS");
    expect(puts).toHaveLength(0);
  });

  it("never blocks a deletion: a bucket that is gone or out of reach is left as it is", async () => {
    expect((await run(request("Delete", "gone-bucket", "gone-bucket|enabled-by-stack"))).Status).toBe(
      "SUCCESS",
    );
    responses.length = 0;
    const forbidden = await run(request("Delete", "forbidden-bucket", "forbidden-bucket|enabled-by-stack"));
    expect(forbidden.Status).toBe("SUCCESS");
    responses.length = 0;
    // The ID a failed creation reported: nothing to undo.
    expect((await run(request("Delete", "source", "source|failed"))).Status).toBe("SUCCESS");
    expect(puts).toHaveLength(0);
  });

  it("an update on the same bucket keeps the resource; a new bucket gets a new one", async () => {
    buckets.set("source", wrap("<EventBridgeConfiguration></EventBridgeConfiguration>"));
    buckets.set("other", wrap(""));
    const same = await run(request("Update", "source", "source|enabled-by-stack"));
    expect(same).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "source|enabled-by-stack" });
    responses.length = 0;
    const moved = await run(request("Update", "other", "source|enabled-by-stack"));
    expect(moved).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "other|enabled-by-stack" });
    expect(buckets.get("other")).toMatch(/EventBridgeConfiguration/);
  });

  it("re-enables delivery someone turned off, and then owns it", async () => {
    buckets.set("source", wrap(TOPIC_XML));
    const response = await run(request("Update", "source", "source|was-enabled"));
    expect(response).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "source|enabled-by-stack" });
  });

  it("fails a creation with a message that names the bucket and the cause", async () => {
    const missing = await run(request("Create", "no-such-bucket"));
    expect(missing.Status).toBe("FAILED");
    expect(missing.Reason).toContain("bucket no-such-bucket does not exist");
    expect(crModule.parsePhysicalId(missing.PhysicalResourceId)).toBeUndefined();
    responses.length = 0;
    const forbidden = await run(request("Create", "forbidden-bucket"));
    expect(forbidden.Status).toBe("FAILED");
    expect(forbidden.Reason).toContain("must belong to this stack's account");
  });

  it("logs each step, never the pre-signed response URL", async () => {
    logLines.length = 0;
    buckets.set("source", wrap(""));
    await run(request("Create", "source"));
    expect(logLines.join("\n")).toContain("enabled source");
    expect(logLines.join("\n")).not.toMatch(/X-Amz-Signature|response\?/);
  });

  it("parses only the IDs it issued", () => {
    expect(crModule.parsePhysicalId("a-bucket|enabled-by-stack")).toEqual({
      bucket: "a-bucket",
      state: "enabled-by-stack",
    });
    expect(crModule.parsePhysicalId("a-bucket|was-enabled")).toEqual({
      bucket: "a-bucket",
      state: "was-enabled",
    });
    for (const id of [undefined, "", "a-bucket", "a-bucket|failed", "|enabled-by-stack"]) {
      expect(crModule.parsePhysicalId(id)).toBeUndefined();
    }
  });
});
