import { describeError } from "../engine/index.js";
import { MalformedEventError } from "../events/event-fields.js";
import { parseMessageBody } from "../events/parse-events.js";
import type { EventFilter } from "../events/s3-events.js";
import { PreflightError } from "../user-facing/errors.js";
import { logger } from "../worker/telemetry.js";
import { EventJournal } from "./event-journal.js";
import { JournalDispatcher } from "./journal-dispatcher.js";
import { JournalLockedError } from "./journal-lock.js";
import { startStatusLine } from "./status-line.js";
import type { ListenEvents } from "./watch-setup.js";
import { listenForWatchStop, type WatchWorker } from "./watch-worker.js";
import { RejectedEventError, startWebhookReceiver } from "./webhook-receiver.js";

/** Throws RejectedEventError (answered `400`) for a body this worker cannot take. */
function checkEventBody(body: string, filter: EventFilter): void {
  let tasks: ReturnType<typeof parseMessageBody>["tasks"];
  try {
    tasks = parseMessageBody(body, filter).tasks;
  } catch (error) {
    if (error instanceof MalformedEventError) throw new RejectedEventError(error.message);
    throw error;
  }
  if (tasks.some((task) => task.kind === "backfill")) {
    throw new RejectedEventError(
      "backfill needs a queue to page through and --listen has none: copy the existing objects with `s3xsync sync`",
    );
  }
}

/**
 * Admits an event to the journal while it holds fewer than `journalMax` (those being written
 * count): beyond, `503` for the sender to retry, and one warning each time the journal fills up.
 */
function journalAdmission(journalMax: number, pending: () => number) {
  let writing = 0;
  let full = false;
  return async (write: () => Promise<void>): Promise<void> => {
    const count = pending() + writing;
    if (count >= journalMax) {
      if (!full) logger.warn(`journal full: ${count} events pending, the cap of --journal-max ${journalMax}`);
      full = true;
      throw new Error(`journal full (--journal-max ${journalMax} events); retry later`);
    }
    full = false;
    writing++;
    try {
      await write();
    } finally {
      writing--;
    }
  };
}

function openJournal(dir: string): Promise<EventJournal> {
  return EventJournal.open(dir).catch((error: unknown) => {
    throw new PreflightError(
      error instanceof JournalLockedError ? error.message : `journal ${dir}: ${describeError(error)}`,
    );
  });
}

/**
 * `watch --listen`: journals each event it accepts over HTTP, works the journal off until
 * SIGINT/SIGTERM, then finishes the objects in flight; events not started stay for the next run.
 */
export async function watchListen(worker: WatchWorker, events: ListenEvents): Promise<void> {
  const { setup, stats, filter } = worker;
  const { listen } = events;
  const journal = await openJournal(events.journalDir);
  try {
    const dispatcher = new JournalDispatcher({
      journal,
      filter,
      limit: worker.eventSlots,
      maxAttempts: events.maxAttempts,
      process: (messages) => worker.processBatch(messages),
      onSettled: (outcome) => {
        if (outcome === "done") stats.done++;
        if (outcome === "dead-letter") stats.failed++;
      },
    });
    const pending = () => dispatcher.counts.waiting + dispatcher.counts.running;
    stats.inFlight = () => dispatcher.counts.running;
    stats.waiting = () => dispatcher.counts.waiting;
    const admit = journalAdmission(events.journalMax, pending);
    const receiver = await startWebhookReceiver({
      host: listen.host,
      port: listen.port,
      async accept(body) {
        if (worker.stopping) throw new Error("shutting down");
        checkEventBody(body, filter);
        await admit(async () => {
          const event = await journal.append(body);
          stats.received++;
          dispatcher.add(event);
        });
      },
      status: () => ({ ...dispatcher.counts, done: stats.done, failed: stats.failed }),
    }).catch((error: unknown) => {
      throw new PreflightError(`--listen ${listen.host}:${listen.port}: ${describeError(error)}`);
    });
    const recovered = await dispatcher.recover();
    logger.info("watch", {
      listen: receiver.url,
      journal: journal.dir,
      journalMax: events.journalMax,
      recovered,
      source: setup.sides.source.bucket,
      target: setup.sides.target.bucket,
      prefixFilter: setup.prefixFilter,
    });
    const status = startStatusLine(`watch ${receiver.url}`, stats, !setup.quiet);
    await new Promise<void>((resolve) => {
      const shutdown = listenForWatchStop((signal) => {
        worker.stopping = true;
        logger.info("shutdown", { signal, ...dispatcher.counts });
        Promise.all([receiver.close(), dispatcher.stop()]).then(() => {
          shutdown.dispose();
          resolve();
        });
      });
    });
    status.stop();
    logger.info("stopped", {
      received: stats.received,
      done: stats.done,
      failed: stats.failed,
      pending: dispatcher.counts.waiting,
    });
  } finally {
    await journal.close();
  }
}
