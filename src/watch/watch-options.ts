import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../user-facing/errors.js";

export interface RawWatchOptions {
  queueUrl?: string;
  listen?: string;
  journal?: string;
  maxAttempts?: string;
  delete?: boolean;
}

export interface WatchOptions {
  queueUrl?: string;
  listen?: { host: string; port: number };
  /** Where --listen keeps accepted events until they are done. */
  journalDir?: string;
  /** --listen: attempts per event before it moves to the journal's failed/ directory. */
  maxAttempts: number;
  syncDeletes: boolean;
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

export function parseWatchOptions(raw: RawWatchOptions, sourceBucket: string): WatchOptions {
  if (!raw.queueUrl === !raw.listen) {
    throw new UsageError("watch needs one event source: --queue-url URL or --listen HOST:PORT");
  }
  let queueUrl: string | undefined;
  if (raw.queueUrl) {
    let url: URL | undefined;
    try {
      url = new URL(raw.queueUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new UsageError(
        `--queue-url "${raw.queueUrl}" is not a queue URL (example: https://sqs.cn-north-1.amazonaws.com.cn/111122223333/s3-sync-queue)`,
      );
    }
    queueUrl = raw.queueUrl;
    if (raw.journal !== undefined) throw new UsageError("--journal applies to --listen only");
    if (raw.maxAttempts !== undefined) {
      throw new UsageError("--max-attempts applies to --listen only (the queue's maxReceiveCount decides)");
    }
  }
  let maxAttempts = DEFAULT_MAX_ATTEMPTS;
  if (raw.maxAttempts !== undefined) {
    maxAttempts = Number(raw.maxAttempts);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new UsageError(`--max-attempts "${raw.maxAttempts}" must be a whole number from 1 to 100`);
    }
  }
  const listen = raw.listen ? parseListen(raw.listen) : undefined;
  return {
    queueUrl,
    listen,
    journalDir: raw.listen ? (raw.journal ?? defaultJournalDir(sourceBucket, raw.listen)) : undefined,
    maxAttempts,
    syncDeletes: raw.delete ?? false,
  };
}
