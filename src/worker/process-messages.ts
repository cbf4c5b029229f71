import pLimit from "p-limit";
import { describeError } from "../engine/index.js";
import { parseMessageBody } from "../events/parse-events.js";
import type { ParsedEvents, QueuedMessage, SyncTask } from "../events/tasks.js";
import { announceFailures, type FailedOutcome as Failed } from "./failure-notice.js";
import { backfillPage, syncObject, type TaskContext, type TaskControl } from "./run-task.js";
import type { TaskOutcome } from "./task-scope.js";
import { logger } from "./telemetry.js";
import type { WorkerSettings } from "./worker-settings.js";

/**
 * Object tasks of one batch, by key. Every event of a batch happened before the batch was read,
 * so one look at a key serves all its events: the same key is never synced twice at once (no
 * copy racing a delete of the same key) and duplicates cost nothing.
 */
type KeyRuns = Map<string, Promise<TaskOutcome>>;

/** Runs one task: an object's outcome, or nothing for a backfill page (which throws on failure). */
function runTask(
  ctx: TaskContext,
  task: SyncTask,
  runs: KeyRuns,
  control: TaskControl,
): Promise<TaskOutcome | undefined> {
  if (task.kind === "backfill") return backfillPage(ctx, task).then(() => undefined);
  let run = runs.get(task.key);
  if (!run) {
    run = syncObject(ctx, task, control);
    runs.set(task.key, run);
  }
  return run;
}

/**
 * Runs the tasks of parsed events; returns the objects that failed. Skipped events are logged.
 * A key already running in `runs` (another message of the batch) keeps the control it started with.
 */
export async function runParsedEvents(
  ctx: TaskContext,
  parsed: ParsedEvents,
  runs: KeyRuns = new Map(),
  control: TaskControl = {},
): Promise<Failed[]> {
  for (const skipped of parsed.skipped) logger.info("event", { ...skipped, outcome: "skipped" });
  const limit = pLimit(ctx.config.concurrency);
  const outcomes = await Promise.all(
    parsed.tasks.map((task) => limit(() => runTask(ctx, task, runs, control))),
  );
  return outcomes.filter((outcome): outcome is Failed => outcome?.status === "failed");
}

/**
 * A failed object is announced once, on its message's last receive before the dead-letter queue,
 * not on each of the (5) receives; when either count is unknown, on every failed receive.
 */
function onLastReceive(settings: WorkerSettings, message: QueuedMessage): boolean {
  const last = settings.notify?.maxReceiveCount;
  return last === undefined || message.receiveCount === undefined || message.receiveCount >= last;
}

/**
 * Processes a batch of queued messages; returns the ids of exactly the messages that failed (an
 * object in them failed, or the body is not an event this worker understands), so the queue
 * delivers those again and finally dead-letters them.
 */
export async function processMessages(
  ctx: TaskContext,
  messages: readonly QueuedMessage[],
  controlOf: (messageId: string) => TaskControl | undefined = () => undefined,
): Promise<string[]> {
  const filter = { bucket: ctx.config.sourceBucket };
  const limit = pLimit(ctx.config.concurrency);
  const runs: KeyRuns = new Map();
  // Two messages of one batch for the same key share its outcome, and so its one notice.
  const announced = new Set<string>();
  const failed = await Promise.all(
    messages.map((message) =>
      limit(async () => {
        try {
          const parsed = parseMessageBody(message.body, filter);
          const failures = await runParsedEvents(ctx, parsed, runs, controlOf(message.id));
          if (failures.length === 0) return undefined;
          if (onLastReceive(ctx.config, message)) {
            const fresh = failures.filter((failure) => !announced.has(failure.key));
            for (const failure of fresh) announced.add(failure.key);
            await announceFailures(ctx.sns, ctx.config, fresh, message.receiveCount);
          }
          return message.id;
        } catch (error) {
          logger.error("message", { messageId: message.id, error: describeError(error) });
          return message.id;
        }
      }),
    ),
  );
  return failed.filter((id): id is string => id !== undefined);
}
