import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../user-facing/errors.js";
import type { EventSource } from "../watch/watch-setup.js";

/** The options only `watch` takes, as commander hands them over. */
export interface RawWatchOptions {
  queueUrl?: string;
  listen?: string;
  journal?: string;
  maxAttempts?: string;
  delete?: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

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

function parseMaxAttempts(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_ATTEMPTS;
  const maxAttempts = Number(text);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new UsageError(`--max-attempts "${text}" must be a whole number from 1 to 100`);
  }
  return maxAttempts;
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
    return { kind: "queue", queueUrl };
  }
  if (listen && !queueUrl) {
    const maxAttempts = parseMaxAttempts(raw.maxAttempts);
    return {
      kind: "listen",
      listen: parseListen(listen),
      journalDir: raw.journal ?? defaultJournalDir(sourceBucket, listen),
      maxAttempts,
    };
  }
  throw new UsageError("watch needs one event source: --queue-url URL or --listen HOST:PORT");
}
