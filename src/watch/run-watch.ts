import { logger } from "../worker/telemetry.js";
import { watchListen } from "./watch-listen.js";
import { watchQueue } from "./watch-queue.js";
import type { WatchSetup } from "./watch-setup.js";
import { startWorker } from "./watch-worker.js";

/**
 * `s3xsync watch`: the sync handler's code path (events -> tasks -> engine -> outcome) as a
 * long-running worker, fed by an SQS queue (`--queue-url`) or by S3 notifications pushed over HTTP
 * (`--listen`). Resolves with the exit code once stopped by SIGINT/SIGTERM.
 */
export async function runWatch(setup: WatchSetup): Promise<number> {
  // Logs are JSON lines on stdout; on a terminal only warnings and errors, beside the status line.
  if (process.stdout.isTTY && !setup.quiet) logger.setLogLevel("WARN");
  const worker = startWorker(setup);
  try {
    if (setup.events.kind === "queue") await watchQueue(worker, setup.events);
    else await watchListen(worker, setup.events);
  } finally {
    worker.close();
  }
  return 0;
}
