import { describeError } from "../engine/index.js";
import { MalformedEventError } from "../events/event-fields.js";
import { parseMessageBody } from "../events/parse-events.js";
import { PreflightError } from "../user-facing/errors.js";
import { logger } from "../worker/telemetry.js";
import { EventJournal } from "./event-journal.js";
import { JournalDispatcher } from "./journal-dispatcher.js";
import { startStatusLine } from "./status-line.js";
import type { ListenEvents } from "./watch-setup.js";
import { onSignals, type WatchWorker } from "./watch-worker.js";
import { RejectedEventError, startWebhookReceiver } from "./webhook-receiver.js";

/**
 * `watch --listen`: journals each event it accepts over HTTP, works the journal off until
 * SIGINT/SIGTERM, then finishes the objects in flight; events not started stay for the next run.
 */
export async function watchListen(worker: WatchWorker, events: ListenEvents): Promise<void> {
  const { setup, stats, filter } = worker;
  const { listen, journalDir } = events;
  const journal = await EventJournal.open(journalDir).catch((error: unknown) => {
    throw new PreflightError(`journal ${journalDir}: ${describeError(error)}`);
  });
  const dispatcher = new JournalDispatcher({
    journal,
    filter,
    concurrency: setup.engine.concurrency,
    maxAttempts: events.maxAttempts,
    process: (messages) => worker.processBatch(messages),
    onSettled: (outcome) => {
      if (outcome === "done") stats.done++;
      if (outcome === "dead-letter") stats.failed++;
    },
  });
  stats.inFlight = () => dispatcher.counts.running;
  stats.waiting = () => dispatcher.counts.waiting;
  const receiver = await startWebhookReceiver({
    host: listen.host,
    port: listen.port,
    async accept(body) {
      if (worker.stopping) throw new Error("shutting down");
      try {
        parseMessageBody(body, filter);
      } catch (error) {
        if (error instanceof MalformedEventError) throw new RejectedEventError(error.message);
        throw error;
      }
      const id = await journal.append(body);
      stats.received++;
      dispatcher.add(id, body);
    },
    status: () => ({ ...dispatcher.counts, done: stats.done, failed: stats.failed }),
  }).catch((error: unknown) => {
    throw new PreflightError(`--listen ${listen.host}:${listen.port}: ${describeError(error)}`);
  });
  const recovered = await dispatcher.recover();
  logger.info("watch", {
    listen: receiver.url,
    journal: journal.dir,
    recovered,
    source: setup.sides.source.bucket,
    target: setup.sides.target.bucket,
    prefixFilter: setup.prefixFilter,
  });
  const status = startStatusLine(`watch ${receiver.url}`, stats, !setup.quiet);
  await new Promise<void>((resolve) => {
    const shutdown = onSignals((signal) => {
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
}
