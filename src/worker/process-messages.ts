import pLimit from "p-limit";
import { describeError } from "../engine/index.js";
import { parseMessageBody } from "../events/parse-events.js";
import type { ParsedEvents, QueuedMessage, SyncTask } from "../events/tasks.js";
import { backfillPage, syncObject, type TaskContext } from "./run-task.js";
import type { TaskOutcome } from "./task-scope.js";
import { logger } from "./telemetry.js";

type Failed = Extract<TaskOutcome, { status: "failed" }>;

/**
 * Object tasks of one batch, by key. Every event of a batch happened before the batch was read,
 * so one look at a key serves all its events: the same key is never synced twice at once (no
 * copy racing a delete of the same key) and duplicates cost nothing.
 */
type KeyRuns = Map<string, Promise<TaskOutcome>>;

/** Runs one task: an object's outcome, or nothing for a backfill page (which throws on failure). */
function runTask(ctx: TaskContext, task: SyncTask, runs: KeyRuns): Promise<TaskOutcome | undefined> {
  if (task.kind === "backfill") return backfillPage(ctx, task).then(() => undefined);
  let run = runs.get(task.key);
  if (!run) {
    run = syncObject(ctx, task);
    runs.set(task.key, run);
  }
  return run;
}

/** Runs the tasks of parsed events; returns the objects that failed. Skipped events are logged. */
export async function runParsedEvents(
  ctx: TaskContext,
  parsed: ParsedEvents,
  runs: KeyRuns = new Map(),
): Promise<Failed[]> {
  for (const skipped of parsed.skipped) logger.info("event", { ...skipped, outcome: "skipped" });
  const limit = pLimit(ctx.config.concurrency);
  const outcomes = await Promise.all(parsed.tasks.map((task) => limit(() => runTask(ctx, task, runs))));
  return outcomes.filter((outcome): outcome is Failed => outcome?.status === "failed");
}

/**
 * Processes a batch of queued messages; returns the ids of exactly the messages that failed (an
 * object in them failed, or the body is not an event this worker understands), so the queue
 * delivers those again and finally dead-letters them.
 */
export async function processMessages(
  ctx: TaskContext,
  messages: readonly QueuedMessage[],
): Promise<string[]> {
  const filter = { bucket: ctx.config.sourceBucket };
  const limit = pLimit(ctx.config.concurrency);
  const runs: KeyRuns = new Map();
  const failed = await Promise.all(
    messages.map((message) =>
      limit(async () => {
        try {
          const failures = await runParsedEvents(ctx, parseMessageBody(message.body, filter), runs);
          return failures.length > 0 ? message.id : undefined;
        } catch (error) {
          logger.error("message", { messageId: message.id, error: describeError(error) });
          return message.id;
        }
      }),
    ),
  );
  return failed.filter((id): id is string => id !== undefined);
}
