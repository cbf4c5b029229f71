import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { QueuedMessage } from "../events/tasks.js";
import { EventJournal } from "./event-journal.js";
import { type DispatcherOptions, JournalDispatcher } from "./journal-dispatcher.js";

const filter = { bucket: "src", prefix: "" };
const journals: EventJournal[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const journal of journals.splice(0)) {
    await journal.close();
    await rm(journal.dir, { recursive: true, force: true });
  }
});

function eventBody(key: string): string {
  return JSON.stringify({
    Records: [
      {
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: "src" }, object: { key } },
      },
    ],
  });
}

async function journalWith(keys: string[]): Promise<EventJournal> {
  const journal = await EventJournal.open(await mkdtemp(join(tmpdir(), "s3xsync-dispatch-")));
  journals.push(journal);
  for (const key of keys) await journal.append(eventBody(key));
  return journal;
}

/** A process() whose calls wait until released; resolves as failed when `fail` says so. */
function heldProcess(fail = false) {
  const held: (() => void)[] = [];
  const seen: QueuedMessage[] = [];
  const process = (messages: QueuedMessage[]) =>
    new Promise<string[]>((resolve) => {
      seen.push(...messages);
      held.push(() => resolve(fail ? messages.map((m) => m.id) : []));
    });
  const releaseAll = () => {
    for (const release of held.splice(0)) release();
  };
  return { process, held, seen, releaseAll };
}

/** Stops the dispatcher, letting the events in flight finish. */
async function stopHeld(events: JournalDispatcher, work: { releaseAll(): void }): Promise<void> {
  const stopped = events.stop();
  work.releaseAll();
  await stopped;
}

function dispatcher(
  journal: EventJournal,
  options: Partial<DispatcherOptions> & Pick<DispatcherOptions, "process">,
) {
  return new JournalDispatcher({ journal, filter, limit: () => 4, maxAttempts: 5, ...options });
}

// A bound for a loaded machine, not a timing claim: with 2 shared cores under a full CI run the
// journal's fsyncs and the retry backoff (up to 1 s) took more than 5 s once.
const settled = async (check: () => boolean) =>
  vi.waitFor(() => expect(check()).toBe(true), { timeout: 20_000 });

describe("JournalDispatcher", { timeout: 60_000 }, () => {
  it("reads waiting events from disk only when they can start", async () => {
    const journal = await journalWith(Array.from({ length: 200 }, (_, i) => `k/${i}`));
    const reads = vi.spyOn(journal, "read");
    const work = heldProcess();
    const events = dispatcher(journal, { process: work.process });
    expect(await events.recover()).toBe(200);
    await settled(() => work.seen.length === 4);
    expect(reads).toHaveBeenCalledTimes(4);
    expect(events.counts).toEqual({ waiting: 196, running: 4 });
    work.releaseAll();
    await settled(() => work.seen.length === 8);
    expect(reads).toHaveBeenCalledTimes(8);
    await stopHeld(events, work);
  });

  it("holds at most a bounded read-ahead while events wait for a key in flight", async () => {
    const journal = await journalWith(Array.from({ length: 100 }, () => "hot/key"));
    const reads = vi.spyOn(journal, "read");
    const work = heldProcess();
    const events = dispatcher(journal, { process: work.process });
    await events.recover();
    await settled(() => reads.mock.calls.length === 17);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reads).toHaveBeenCalledTimes(17);
    expect(work.seen).toHaveLength(1);
    work.releaseAll();
    await settled(() => work.seen.length === 2);
    expect(events.counts).toEqual({ waiting: 98, running: 1 });
    await stopHeld(events, work);
  });

  it("starts as many events as limit() says at the moment", async () => {
    const journal = await journalWith(Array.from({ length: 20 }, (_, i) => `k/${i}`));
    let limit = 2;
    const work = heldProcess();
    const events = dispatcher(journal, { process: work.process, limit: () => limit });
    await events.recover();
    await settled(() => work.seen.length === 2);
    limit = 6;
    work.releaseAll();
    await settled(() => work.seen.length === 8);
    expect(events.counts.running).toBe(6);
    await stopHeld(events, work);
  });

  it("counts an event's failed attempts across restarts, then moves it to failed/", async () => {
    const journal = await journalWith(["a"]);
    const first = heldProcess(true);
    // Stopped from inside the failed attempt's settling: the retry's backoff is drawn from
    // [0, 1 s), and one drawn under the poll interval started the retry before a poll saw it wait
    // (CI, once). The draw is pinned to 0 here, the worst case.
    vi.spyOn(Math, "random").mockReturnValue(0);
    let stopped: Promise<void> | undefined;
    const before = dispatcher(journal, {
      process: first.process,
      maxAttempts: 2,
      onSettled: () => {
        stopped = before.stop();
      },
    });
    await before.recover();
    await settled(() => first.held.length === 1);
    first.releaseAll();
    await settled(() => stopped !== undefined);
    await stopped;
    expect(first.held).toHaveLength(0);
    expect(await journal.pending()).toEqual([expect.objectContaining({ attempts: 1 })]);

    const second = heldProcess(true);
    const outcomes: string[] = [];
    const after = dispatcher(journal, {
      process: second.process,
      maxAttempts: 2,
      onSettled: (outcome) => outcomes.push(outcome),
    });
    await after.recover();
    await settled(() => second.held.length === 1);
    second.releaseAll();
    await settled(() => outcomes.length === 1);
    expect(outcomes).toEqual(["dead-letter"]);
    expect(await readdir(journal.pendingDir)).toEqual([]);
    expect(await readdir(journal.failedDir)).toEqual([expect.stringMatching(/\.2\.json$/)]);
    await stopHeld(after, second);
  });
});
