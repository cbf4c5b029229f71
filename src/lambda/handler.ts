import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { SQSBatchResponse } from "aws-lambda";
import { serviceClientSettings } from "../aws/request-handler.js";
import { createS3Client } from "../aws/s3-client.js";
import { SecretConfigurationError, SecretCredentialsCache } from "../aws/target-secret.js";
import { createEngine, WHOLE_OBJECTS_PER_PART_SLOT } from "../engine/index.js";
import { type ClassifiedEvent, classifyEvent } from "../events/parse-events.js";
import type { ParsedEvents, QueuedMessage } from "../events/tasks.js";
import { type Deadline, deadlineOf, type InvocationClock, NO_DEADLINE } from "../worker/deadline.js";
import { announceConfigurationError, announceFailures } from "../worker/failure-notice.js";
import { processMessages, runParsedEvents } from "../worker/process-messages.js";
import { backfillPage, syncObject, type TaskContext } from "../worker/run-task.js";
import { outsideScope, type TaskOutcome } from "../worker/task-scope.js";
import { metrics, recordConfigurationError } from "../worker/telemetry.js";
import { type HandlerConfig, loadHandlerConfig } from "./handler-config.js";
import { TargetEngines } from "./target-engines.js";

interface Runtime {
  config: HandlerConfig;
  sqs: SQSClient;
  sns: SNSClient;
  secret: SecretCredentialsCache;
  engines: TargetEngines;
  /** Configuration problems this instance has announced already: one notice each, not one per batch. */
  announced: Set<string>;
}

/**
 * Builds the engine for a set of target keys. The source client (the function's own role) is
 * built once and shared by every engine; only the target's is built with the keys.
 */
function engineBuilder(config: HandlerConfig) {
  const tuning = {
    maxSockets: (config.engine.adaptiveMax ?? config.engine.concurrency) * WHOLE_OBJECTS_PER_PART_SLOT + 4,
    maxAttempts: config.retryAttempts,
    stallTimeoutMs: config.engine.stallTimeoutMs,
  };
  const source = {
    client: createS3Client(
      { region: config.sourceRegion, endpoint: config.sourceEndpoint },
      tuning,
      "source",
    ),
    bucket: config.sourceBucket,
  };
  return (credentials: AwsCredentialIdentity) => {
    const target = createS3Client(
      { region: config.targetRegion, endpoint: config.targetEndpoint, credentials },
      tuning,
      "target",
    );
    const engine = createEngine({
      source,
      target: { client: target, bucket: config.targetBucket },
      options: config.engine,
    });
    return { engine, target };
  };
}

let runtime: Promise<Runtime> | undefined;

/** Built once per cold start: configuration, clients, the secret cache. */
function init(): Promise<Runtime> {
  runtime ??= Promise.resolve().then(() => {
    const config = loadHandlerConfig();
    const secret = new SecretCredentialsCache(
      config.secretName,
      new SecretsManagerClient(serviceClientSettings()),
    );
    return {
      config,
      sqs: new SQSClient(serviceClientSettings()),
      sns: new SNSClient(serviceClientSettings()),
      secret,
      engines: new TargetEngines(() => secret.current(), engineBuilder(config)),
      announced: new Set<string>(),
    };
  });
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

function taskContext(rt: Runtime, deadline: Deadline): TaskContext {
  return {
    config: rt.config,
    engine: () => rt.engines.current(),
    refreshTargetKeys: () => rt.secret.refresh(),
    sqs: rt.sqs,
    sns: rt.sns,
    deadline,
  };
}

async function handleSqsBatch(ctx: TaskContext, messages: QueuedMessage[]): Promise<SQSBatchResponse> {
  const failed = await processMessages(ctx, messages);
  return { batchItemFailures: failed.map((id) => ({ itemIdentifier: id })) };
}

/** Whether the manual test's key counts as synced, and the words for its answer. */
function testKeyVerdict(outcome: TaskOutcome, prefixFilter: string): { ok: boolean; detail: string } {
  switch (outcome.status) {
    case "failed":
      return { ok: false, detail: outcome.error };
    case "skipped":
      if (outcome.reason === "source-missing") return { ok: false, detail: "source object does not exist" };
      if (outcome.reason === "outside-prefix") {
        return { ok: false, detail: `outside S3PrefixFilter "${prefixFilter}"` };
      }
      return { ok: true, detail: "already in sync" };
    default:
      return { ok: true, detail: outcome.status };
  }
}

/**
 * The manual test of the original template, `{"test_key": "path/to/key"}`, answered in its shape.
 * A probe never deletes: a key missing at the source is reported failed, whatever SYNC_DELETES says.
 */
async function handleTestKey(ctx: TaskContext, key: string) {
  const probe = { ...ctx, config: { ...ctx.config, syncDeletes: false } };
  return testKeyAnswer(
    key,
    testKeyVerdict(await syncObject(probe, { kind: "object", key }), ctx.config.prefixFilter),
  );
}

function testKeyAnswer(key: string, { ok, detail }: { ok: boolean; detail: string }) {
  return {
    statusCode: ok ? 200 : 500,
    body: { message: `${key}: ${detail}`, results: { success: ok ? [key] : [], failed: ok ? [] : [key] } },
  };
}

/** An EventBridge event or S3 notification delivered directly: throws when an object failed. */
async function handleS3Events(ctx: TaskContext, events: ParsedEvents) {
  const failed = await runParsedEvents(ctx, events);
  await announceFailures(ctx.sns, ctx.config, failed);
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} object(s) failed: ${failed.map((f) => `${f.key}: ${f.error}`).join("; ")}`,
    );
  }
  return {
    statusCode: 200,
    body: { message: "synced", tasks: events.tasks.length, skipped: events.skipped.length },
  };
}

/** Processes one invocation and answers in the shape its sender expects. */
async function respond(ctx: TaskContext, event: ClassifiedEvent): Promise<unknown> {
  switch (event.shape) {
    case "sqs-batch":
      return handleSqsBatch(ctx, event.messages);
    case "test-key":
      return handleTestKey(ctx, event.key);
    case "backfill": {
      const result = await backfillPage(ctx, event.task);
      return { statusCode: 200, body: { message: "backfill started", ...result } };
    }
    case "eventbridge":
    case "s3-notification":
      return handleS3Events(ctx, event.events);
    default:
      // S3's test event and the handler's own task messages arrive through SQS only.
      throw new Error(
        "unrecognised event: expected SQS, EventBridge S3, S3 notification, test_key or backfill",
      );
  }
}

/**
 * The target keys, read before any work: a secret that cannot give them fails the invocation once,
 * with one log line, one metric and (once per instance) one notice, instead of failing every object.
 * Other errors (the network) are left to the tasks, which retry and report them per object.
 */
async function unreadableTargetKeys(rt: Runtime): Promise<SecretConfigurationError | undefined> {
  try {
    await rt.secret.current();
    return undefined;
  } catch (error) {
    if (!(error instanceof SecretConfigurationError)) return undefined;
    recordConfigurationError(rt.config.secretName, error.message);
    if (!rt.announced.has(error.message)) {
      rt.announced.add(error.message);
      await announceConfigurationError(rt.sns, rt.config, rt.config.secretName, error.message);
    }
    return error;
  }
}

/**
 * Whether the event needs the target keys: not an unrecognised one, nor a manual test of a key
 * outside the prefix (answered without a call to S3 or Secrets Manager).
 */
function needsTargetKeys(config: HandlerConfig, event: ClassifiedEvent): boolean {
  if (event.shape === "unrecognised") return false;
  return event.shape !== "test-key" || outsideScope(config, event.key) === undefined;
}

/**
 * The answer to an invocation that met unreadable target keys: every message stays queued, the
 * manual test answers in its shape, direct events throw (Lambda's retries apply).
 */
function configurationFailure(event: ClassifiedEvent, error: SecretConfigurationError) {
  if (event.shape === "test-key") return testKeyAnswer(event.key, { ok: false, detail: error.message });
  if (event.shape !== "sqs-batch") throw error;
  return { batchItemFailures: event.messages.map((message) => ({ itemIdentifier: message.id })) };
}

/**
 * The Lambda entry point: classify the event (validate), then process it and respond. SQS
 * batches report exactly the failed messages; direct invocations throw on failure, so Lambda's
 * own retries and on-failure destinations apply.
 */
export async function handler(event: unknown, context?: InvocationClock): Promise<unknown> {
  const rt = await init();
  const ctx = taskContext(rt, context ? deadlineOf(context) : NO_DEADLINE);
  try {
    const classified = classifyEvent(event, { bucket: rt.config.sourceBucket });
    const keysProblem = needsTargetKeys(rt.config, classified) ? await unreadableTargetKeys(rt) : undefined;
    if (keysProblem) return configurationFailure(classified, keysProblem);
    return await respond(ctx, classified);
  } finally {
    // An invocation that only skipped or queued work has no metrics; publishing would warn.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    rt.engines.closeRetired();
  }
}
