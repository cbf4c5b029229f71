// One warm Lambda execution environment, for bench/lambda-sizing.ts: loads the handler bundle as
// Lambda would (its environment is this process's), then invokes it one SQS batch at a time, as
// the event source mapping delivers them (EventBridge bodies, `batchSize` per batch), and after
// the workload's batches the continuations the handler queued, until the queue is empty. Each
// invocation gets a clock that runs out after the function timeout. Writes a RunnerReport as JSON
// to the job's resultPath; the harness bundles this file with esbuild and runs it under a cgroup.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { eventBridgeEvent, type Handler, sqsEvent } from "../test/support/lambda.js";

export interface RunnerJob {
  handlerPath: string;
  bucket: string;
  keys: string[];
  batchSize: number;
  timeoutMs: number;
  /** The handler's QUEUE_URL: continuations are read back from it. */
  queueUrl: string;
  resultPath: string;
}

export interface RunnerReport {
  /** Loading the bundle (Lambda's init phase, billed). */
  initMs: number;
  /** Sum of the invocations' durations (billed). */
  invokedMs: number;
  invocations: number;
  /** Batches that were continuations the handler queued for itself. */
  continuations: number;
  /** Messages the handler reported as failed. */
  failedMessages: number;
  /** Invocations that ran past the function timeout (Lambda would have killed them). */
  overTimeout: number;
}

/** A queue read from this process has this long to answer. */
const QUEUE_TIMEOUT_MS = 10_000;
/** Every message is at most a continuation of a workload key; far more means a loop. */
const MAX_INVOCATIONS_PER_KEY = 50;

const job = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as RunnerJob;
const sqs = new SQSClient({});

/** The continuations queued so far, received and deleted (at most one SQS batch). */
async function queuedBatch(): Promise<string[]> {
  const abortSignal = AbortSignal.timeout(QUEUE_TIMEOUT_MS);
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: job.queueUrl, MaxNumberOfMessages: job.batchSize }),
    { abortSignal },
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return [];
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: job.queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    }),
    { abortSignal: AbortSignal.timeout(QUEUE_TIMEOUT_MS) },
  );
  return messages.map((m) => m.Body ?? "");
}

async function invoke(handler: Handler, bodies: string[], report: RunnerReport): Promise<void> {
  const started = performance.now();
  const clock = { getRemainingTimeInMillis: () => job.timeoutMs - (performance.now() - started) };
  const response = (await handler(sqsEvent(bodies), clock)) as { batchItemFailures: unknown[] };
  const ms = performance.now() - started;
  report.invokedMs += ms;
  report.invocations++;
  report.failedMessages += response.batchItemFailures.length;
  if (ms > job.timeoutMs) report.overTimeout++;
}

async function main(): Promise<void> {
  const loadStarted = performance.now();
  const handler = (createRequire(import.meta.url)(job.handlerPath) as { handler: Handler }).handler;
  const report: RunnerReport = {
    initMs: performance.now() - loadStarted,
    invokedMs: 0,
    invocations: 0,
    continuations: 0,
    failedMessages: 0,
    overTimeout: 0,
  };
  const bodies = job.keys.map((key) => JSON.stringify(eventBridgeEvent(job.bucket, key)));
  for (let i = 0; i < bodies.length; i += job.batchSize) {
    await invoke(handler, bodies.slice(i, i + job.batchSize), report);
  }
  const bound = MAX_INVOCATIONS_PER_KEY * job.keys.length;
  for (let batch = await queuedBatch(); batch.length > 0; batch = await queuedBatch()) {
    if (report.invocations >= bound) throw new Error(`more than ${bound} invocations: continuations loop`);
    report.continuations++;
    await invoke(handler, batch, report);
  }
  writeFileSync(job.resultPath, JSON.stringify(report));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`runner: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
