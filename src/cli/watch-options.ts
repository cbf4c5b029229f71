import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../user-facing/errors.js";
import type { EventSource } from "../watch/watch-setup.js";
import { parseIntegerFlag } from "./parse-integer.js";

/** The options only `watch` takes, as commander hands them over. */
export interface RawWatchOptions {
  queueUrl?: string;
  listen?: string;
  journal?: string;
  maxAttempts?: string;
  journalMax?: string;
  delete?: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Events the journal holds at most: a burst of 100,000 uploads is taken in without pushing back.
 * A waiting event costs about 100 bytes of memory (its body stays on disk): 10 MB at the cap; on
 * disk about 2 KB each for MinIO's events (200 MB), 6.4 GB at the body limit (64 KiB).
 */
export const DEFAULT_JOURNAL_MAX = 100_000;

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new UsageError(`--listen "${text}" must be HOST:PORT (example: 127.0.0.1:8787)`);
  }
  return { host: match[1] ?? match[2] ?? "", port };
}

function defaultJournalDir(sourceBucket: string, listen: string): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  const id = createHash("sha256").update(`${sourceBucket}\n${listen}`).digest("hex").slice(0, 12);
  return join(state, "s3xsync", `watch-${sourceBucket}-${id}`);
}

/** An SQS queue URL given as `option`; any host, so that SQS-compatible endpoints work. */
export function checkQueueUrl(text: string, option = "--queue-url"): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new UsageError(
      `${option} "${text}" is not a queue URL (example: https://sqs.cn-north-1.amazonaws.com.cn/111122223333/s3-sync-queue)`,
    );
  }
}

function wholeNumber(text: string | undefined, name: string, max: number, fallback: number): number {
  return text === undefined ? fallback : parseIntegerFlag(text, name, 1, max);
}

/** Which event source `watch` is given (exactly one), with the options that belong to it. */
export function parseEventSource(raw: RawWatchOptions, sourceBucket: string): EventSource {
  const { queueUrl, listen } = raw;
  if (queueUrl && !listen) {
    checkQueueUrl(queueUrl);
    if (raw.journal !== undefined) throw new UsageError("--journal applies to --listen only");
    if (raw.maxAttempts !== undefined) {
      throw new UsageError("--max-attempts applies to --listen only (the queue's maxReceiveCount decides)");
    }
    if (raw.journalMax !== undefined) throw new UsageError("--journal-max applies to --listen only");
    return { kind: "queue", queueUrl };
  }
  if (listen && !queueUrl) {
    return {
      kind: "listen",
      listen: parseListen(listen),
      journalDir: raw.journal ?? defaultJournalDir(sourceBucket, listen),
      maxAttempts: wholeNumber(raw.maxAttempts, "--max-attempts", 100, DEFAULT_MAX_ATTEMPTS),
      journalMax: wholeNumber(raw.journalMax, "--journal-max", 100_000_000, DEFAULT_JOURNAL_MAX),
    };
  }
  throw new UsageError("watch needs one event source: --queue-url URL or --listen HOST:PORT");
}
