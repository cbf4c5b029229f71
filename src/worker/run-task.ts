import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Engine, Outcome, ReplicateControl } from "../engine/index.js";
import type { BackfillTask, ObjectTask, SyncTask } from "../events/tasks.js";
import type { Deadline } from "./deadline.js";
import { queueTasks } from "./task-queue.js";
import { backfillPrefix, outsideScope, type TaskOutcome } from "./task-scope.js";
import { logger, recordOutcome } from "./telemetry.js";
import type { WorkerSettings } from "./worker-settings.js";

/** What the tasks of one invocation share. */
export interface TaskContext {
  config: WorkerSettings;
  /** The engine with the target keys as they are now. */
  engine(): Promise<Engine>;
  /** Fetch the target keys again; true when they changed (the engine was rebuilt). */
  refreshTargetKeys(): Promise<boolean>;
  sqs: SQSClient;
  sns: SNSClient;
  deadline: Deadline;
}

/** What a driver gives the copies of one message: cancel them, hear them move bytes. */
export type TaskControl = Pick<ReplicateControl, "signal" | "onProgress">;

/** Errors that mean the target refused the keys: worth fetching the secret again, once. */
function rejectsKeys(outcome: Outcome): boolean {
  if (outcome.status !== "failed") return false;
  return (
    outcome.httpStatus === 403 ||
    ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(
      outcome.errorName ?? "",
    )
  );
}

async function continueLater(ctx: TaskContext, task: ObjectTask): Promise<void> {
  if (!ctx.config.queueUrl) throw new Error("QUEUE_URL is not set: cannot queue a continuation");
  await queueTasks(ctx.sqs, ctx.config.queueUrl, [{ ...task, continuation: (task.continuation ?? 0) + 1 }]);
}

/**
 * Makes the target key match the source key as it is now (level-triggered): copy it, skip it,
 * delete it (SYNC_DELETES), or pause before the deadline and queue a continuation. Every object
 * task of every driver comes through here, so a key outside the prefix filter is refused here,
 * before anything is read or written.
 */
export async function syncObject(
  ctx: TaskContext,
  task: ObjectTask,
  driver: TaskControl = {},
): Promise<TaskOutcome> {
  const startedAt = Date.now();
  const { config } = ctx;
  const outside = outsideScope(config, task.key);
  if (outside) {
    recordOutcome(outside, startedAt, task.eventTime);
    return outside;
  }
  if (config.queueUrl && !ctx.deadline.hasTimeForPart()) {
    await continueLater(ctx, task);
    const outcome: Outcome = { status: "paused", key: task.key, size: 0, bytes: 0 };
    recordOutcome(outcome, startedAt, task.eventTime);
    return outcome;
  }
  const control: ReplicateControl = config.queueUrl
    ? { ...driver, shouldStartPart: ctx.deadline.hasTimeForPart, stallBudgetMs: ctx.deadline.stallBudgetMs }
    : driver;
  const replicate = async () =>
    (await ctx.engine()).replicate({ sourceKey: task.key, targetKey: task.key }, control);
  let outcome = await replicate();
  if (rejectsKeys(outcome) && (await ctx.refreshTargetKeys())) outcome = await replicate();
  if (outcome.status === "skipped" && outcome.reason === "source-missing" && config.syncDeletes) {
    outcome = await (await ctx.engine()).remove(task.key);
  }
  if (outcome.status === "paused") await continueLater(ctx, task);
  recordOutcome(outcome, startedAt, task.eventTime);
  return outcome;
}

export interface BackfillResult {
  queued: number;
  nextPage: boolean;
}

/** Lists one page of the source and queues one task per key, plus the next page as a task of its own. */
export async function backfillPage(ctx: TaskContext, task: BackfillTask): Promise<BackfillResult> {
  const { config } = ctx;
  if (!config.queueUrl) throw new Error("QUEUE_URL is not set: a backfill queues its keys there");
  const prefix = backfillPrefix(task.prefix, config.prefixFilter);
  if (prefix === undefined) {
    logger.warn("backfill", {
      prefix: task.prefix,
      outcome: "outside-prefix-filter",
      filter: config.prefixFilter,
    });
    return { queued: 0, nextPage: false };
  }
  const engine = await ctx.engine();
  const page = await engine.listSourcePage(prefix, task.continuationToken);
  const tasks: SyncTask[] = page.objects.map((object) => ({ kind: "object" as const, key: object.key }));
  const nextPage = page.nextToken !== undefined;
  if (nextPage) tasks.push({ kind: "backfill", prefix, continuationToken: page.nextToken });
  await queueTasks(ctx.sqs, config.queueUrl, tasks);
  const queued = tasks.length - (nextPage ? 1 : 0);
  logger.info("backfill", { prefix, queued, nextPage });
  return { queued, nextPage };
}
