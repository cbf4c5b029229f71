import type { DeadLetter } from "../operate/dead-letters.js";
import { createOperateClients, type OperateClients } from "../operate/operate-clients.js";
import { type Pipeline, resolvePipeline } from "../operate/pipeline.js";
import { type PipelineStatus, readPipelineStatus } from "../operate/queue-status.js";
import { type RedriveResult, redrive } from "../operate/redrive.js";
import { UsageError } from "../user-facing/errors.js";
import { formatBytes } from "../user-facing/format-bytes.js";
import type { CommandResult } from "./commands.js";
import { type OperateOptions, parseOperateOptions, type RawOperateOptions } from "./operate-options.js";

/** Opens the clients, finds the pipeline, runs `work` and closes the clients. */
async function withPipeline<T>(
  options: OperateOptions,
  work: (clients: OperateClients, pipeline: Pipeline, region: string) => Promise<T>,
): Promise<T> {
  const clients = createOperateClients(options.settings);
  try {
    const region = await clients.sqs.config.region().catch(() => {
      throw new UsageError("no region: give --region (e.g. cn-north-1, us-east-1) or set AWS_REGION");
    });
    const pipeline = await resolvePipeline(clients, options.target, region);
    return await work(clients, pipeline, region);
  } finally {
    clients.destroy();
  }
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function describeDeadLetter(letter: DeadLetter): string {
  const what = letter.error
    ? `unreadable message: ${letter.error}`
    : [...letter.keys, ...(letter.backfill !== undefined ? [`backfill of "${letter.backfill}"`] : [])].join(
        ", ",
      );
  return `  ${letter.sentAt ?? "?"}  ${what || "(no key)"}  (received ${letter.receiveCount === 1 ? "once" : `${letter.receiveCount} times`})`;
}

function statusText(status: PipelineStatus): string[] {
  const { queue, deadLetterQueue, alarms, lastHour } = status;
  const age =
    queue.oldestMessageAgeSeconds === null
      ? "unknown (no recent CloudWatch datapoint)"
      : formatAge(queue.oldestMessageAgeSeconds);
  const lines = [
    `${status.stack ? `stack ${status.stack}` : `queue ${queue.url}`} in ${status.region}`,
    `queue         ${queue.waiting} waiting, ${queue.inFlight} in flight${queue.delayed ? `, ${queue.delayed} delayed` : ""}; oldest waiting: ${age}`,
    `dead letters  ${deadLetterQueue.messages}`,
    alarms.length === 0 ? "alarms        none in ALARM" : `alarms        ${alarms.length} in ALARM:`,
    ...alarms.map((alarm) => `  ${alarm.name} (since ${alarm.since ?? "?"}): ${alarm.reason}`),
    `last hour     ${lastHour.objects} objects, ${formatBytes(lastHour.bytes)} copied, ${lastHour.failures} failed`,
  ];
  if (status.deadLetters.length > 0) {
    lines.push(
      `newest ${status.deadLetters.length} of ${counted(deadLetterQueue.messages, "dead letter")} (errors: the function's log; then s3xsync redrive):`,
      ...status.deadLetters.map(describeDeadLetter),
    );
  }
  return lines;
}

/** `s3xsync status`: exit 1 when something needs a look (dead letters, alarms in ALARM). */
export async function statusCommand(raw: RawOperateOptions): Promise<CommandResult> {
  const options = parseOperateOptions(raw, "status");
  const status = await withPipeline(options, (clients, pipeline, region) =>
    readPipelineStatus(clients, pipeline, region),
  );
  const healthy = status.deadLetterQueue.messages === 0 && status.alarms.length === 0;
  return { exitCode: healthy ? 0 : 1, json: status, text: statusText(status) };
}

function redriveText(result: RedriveResult, pipeline: Pipeline): string[] {
  const route = `${pipeline.deadLetterQueue.name} -> ${pipeline.queue.name}`;
  const messages = counted(result.moved, "message");
  if (result.running) {
    return [`moved ${messages} so far (${route}); SQS goes on moving the rest (see s3xsync status)`];
  }
  return [`moved ${messages} (${route})${result.failed ? `; ${result.failed} not moved` : ""}`];
}

/** `s3xsync redrive`: exit 1 when some messages could not be moved. */
export async function redriveCommand(raw: RawOperateOptions): Promise<CommandResult> {
  const options = parseOperateOptions(raw, "redrive");
  const { result, pipeline } = await withPipeline(options, async (clients, pipeline) => ({
    result: await redrive(clients.sqs, pipeline),
    pipeline,
  }));
  const failed = result.failed > 0 || result.failureReason !== undefined;
  return {
    exitCode: failed ? 1 : 0,
    json: result,
    text: redriveText(result, pipeline),
    errors: result.failureReason ? [`redrive ${pipeline.deadLetterQueue.url}: ${result.failureReason}`] : [],
  };
}
