import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import pLimit from "p-limit";
import { createS3Client } from "../aws/s3-client.js";
import { SecretCredentialsCache } from "../aws/target-secret.js";
import { createEngine, describeError, type Engine, type Outcome } from "../engine/index.js";
import {
  isEventBridgeS3Event,
  isS3Notification,
  parseBackfill,
  parseEventBridgeEvent,
  parseMessageBody,
  parseS3Notification,
} from "../events/parse-events.js";
import type { ParsedEvents, SyncTask } from "../events/tasks.js";
import { type Deadline, deadlineOf, type InvocationClock, NO_DEADLINE } from "./deadline.js";
import { type HandlerConfig, loadHandlerConfig } from "./handler-config.js";
import { backfillPage, syncObject, type TaskContext } from "./run-task.js";
import { logger, metrics } from "./telemetry.js";

interface Runtime {
  config: HandlerConfig;
  sqs: SQSClient;
  sns: SNSClient;
  secret: SecretCredentialsCache;
  engine?: { engine: Engine; credentials: unknown };
}

let runtime: Promise<Runtime> | undefined;

/** Built once per cold start: configuration, clients, the secret cache. */
function init(): Promise<Runtime> {
  runtime ??= Promise.resolve().then(() => {
    const config = loadHandlerConfig();
    return {
      config,
      sqs: new SQSClient({}),
      sns: new SNSClient({}),
      secret: new SecretCredentialsCache(config.secretName, new SecretsManagerClient({})),
    };
  });
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

/** The engine for the current target keys, rebuilt only when the keys change. */
async function currentEngine(rt: Runtime): Promise<Engine> {
  const credentials = await rt.secret.current();
  if (rt.engine?.credentials === credentials) return rt.engine.engine;
  const { config } = rt;
  const tuning = { maxSockets: config.engine.concurrency * 2 + 4, maxAttempts: config.retryAttempts };
  const engine = createEngine({
    source: {
      client: createS3Client({ region: config.sourceRegion, endpoint: config.sourceEndpoint }, tuning),
      bucket: config.sourceBucket,
    },
    target: {
      client: createS3Client(
        { region: config.targetRegion, endpoint: config.targetEndpoint, credentials },
        tuning,
      ),
      bucket: config.targetBucket,
    },
    options: config.engine,
  });
  rt.engine = { engine, credentials };
  return engine;
}

function taskContext(rt: Runtime, deadline: Deadline): TaskContext {
  return {
    config: rt.config,
    engine: () => currentEngine(rt),
    refreshTargetKeys: () => rt.secret.refresh(),
    sqs: rt.sqs,
    sns: rt.sns,
    deadline,
  };
}

/** Runs one task: an object's outcome, or nothing for a backfill page (which throws on failure). */
async function runTask(ctx: TaskContext, task: SyncTask): Promise<Outcome | undefined> {
  if (task.kind === "backfill") {
    await backfillPage(ctx, task);
    return undefined;
  }
  return syncObject(ctx, task);
}

function logSkipped(parsed: ParsedEvents): void {
  for (const skipped of parsed.skipped) logger.info("event", { ...skipped, outcome: "skipped" });
}

async function runParsed(ctx: TaskContext, parsed: ParsedEvents): Promise<Outcome[]> {
  logSkipped(parsed);
  const limit = pLimit(ctx.config.engine.concurrency);
  const outcomes = await Promise.all(parsed.tasks.map((task) => limit(() => runTask(ctx, task))));
  return outcomes.filter((outcome): outcome is Outcome => outcome !== undefined);
}

function failures(outcomes: Outcome[]): Extract<Outcome, { status: "failed" }>[] {
  return outcomes.filter(
    (outcome): outcome is Extract<Outcome, { status: "failed" }> => outcome.status === "failed",
  );
}

async function handleSqsBatch(ctx: TaskContext, event: SQSEvent): Promise<SQSBatchResponse> {
  const filter = { bucket: ctx.config.sourceBucket, prefix: ctx.config.prefixFilter };
  const limit = pLimit(ctx.config.engine.concurrency);
  const failed = await Promise.all(
    event.Records.map((record) =>
      limit(async () => {
        try {
          const outcomes = await runParsed(ctx, parseMessageBody(record.body, filter));
          return failures(outcomes).length > 0 ? record.messageId : undefined;
        } catch (error) {
          logger.error("message", { messageId: record.messageId, error: describeError(error) });
          return record.messageId;
        }
      }),
    ),
  );
  return {
    batchItemFailures: failed.flatMap((id) => (id === undefined ? [] : [{ itemIdentifier: id }])),
  };
}

/** The manual test of the original template: `{"test_key": "path/to/key"}`. */
async function handleTestKey(ctx: TaskContext, key: string) {
  const outcome = await syncObject(ctx, { kind: "object", key });
  const ok = outcome.status !== "failed";
  const message = ok
    ? `${key}: ${outcome.status === "skipped" ? `skipped (${outcome.reason})` : outcome.status}`
    : `${key}: ${outcome.error}`;
  return {
    statusCode: ok ? 200 : 500,
    body: { message, results: { success: ok ? [key] : [], failed: ok ? [] : [key] } },
  };
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: { eventSource?: string }[] })?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r.eventSource === "aws:sqs");
}

/**
 * The Lambda entry point. SQS batches report exactly the failed messages; direct invocations throw
 * on failure, so Lambda's own retries and on-failure destinations apply.
 */
export async function handler(event: unknown, context?: InvocationClock): Promise<unknown> {
  const rt = await init();
  const ctx = taskContext(rt, context ? deadlineOf(context) : NO_DEADLINE);
  const filter = { bucket: rt.config.sourceBucket, prefix: rt.config.prefixFilter };
  try {
    if (isSqsEvent(event)) return await handleSqsBatch(ctx, event);
    const body = event as Record<string, unknown>;
    if (typeof body?.test_key === "string") return await handleTestKey(ctx, body.test_key);
    if (body && "backfill" in body) {
      const result = await backfillPage(ctx, parseBackfill(body.backfill));
      return { statusCode: 200, body: { message: "backfill started", ...result } };
    }
    let parsed: ParsedEvents;
    if (isEventBridgeS3Event(event)) parsed = parseEventBridgeEvent(event, filter);
    else if (isS3Notification(event)) parsed = parseS3Notification(event, filter);
    else
      throw new Error(
        "unrecognised event: expected SQS, EventBridge S3, S3 notification, test_key or backfill",
      );
    const failed = failures(await runParsed(ctx, parsed));
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} object(s) failed: ${failed.map((f) => `${f.key}: ${f.error}`).join("; ")}`,
      );
    }
    return {
      statusCode: 200,
      body: { message: "synced", tasks: parsed.tasks.length, skipped: parsed.skipped.length },
    };
  } finally {
    // An invocation that only skipped or queued work has no metrics; publishing would warn.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
