// Runs `s3xsync watch` (the built CLI) as a child process and reads its JSON log lines.
import type { ChildProcess } from "node:child_process";
import { MAX_BODY_BYTES } from "../../src/watch/webhook-receiver.js";
import { type CliResult, collect, spawnCli } from "./cli.js";
import { s3Notification } from "./lambda.js";

export type LogLine = Record<string, unknown> & { message?: string; key?: string; outcome?: string };

export interface WatchProcess {
  child: ChildProcess;
  /** Every JSON log line so far (stdout and stderr). */
  lines: LogLine[];
  /** Resolves with the first log line (past or future) that matches; rejects when the worker exits first. */
  waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Sends the signal and resolves with the exit and the whole output. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** The whole output once the process has exited. */
  exited: Promise<CliResult>;
}

export function startWatch(args: string[], env: Record<string, string>): WatchProcess {
  const child = spawnCli(["watch", ...args], env);
  const exited = collect(child);
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  // Powertools writes info lines to stdout and warnings and errors to stderr.
  const reader = () => {
    let buffered = "";
    return (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const text of parts) {
        if (!text.startsWith("{")) continue;
        try {
          lines.push(JSON.parse(text) as LogLine);
        } catch {
          // not a log line
        }
      }
      for (const wake of waiters) wake();
    };
  };
  child.stdout?.on("data", reader());
  child.stderr?.on("data", reader());
  const waitFor = (match: (line: LogLine) => boolean, what: string, timeoutMs = 60_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`watch: no log line for ${what} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onExit = () => {
        done();
        exited.then((r) => reject(new Error(`watch exited (${r.code}) before ${what}: ${r.stderr}`)));
      };
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off("exit", onExit);
      };
      waiters.add(check);
      child.once("exit", onExit);
      check();
    });
  return {
    child,
    lines,
    waitFor,
    exited,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const objectLog = (key: string, outcome: string) => (line: LogLine) =>
  line.message === "object" && line.key === key && line.outcome === outcome;

/** The body MinIO's webhook target POSTs: S3 notification records with eventSource "minio:s3". */
export function minioEvent(bucket: string, key: string, records = 1): string {
  const event = s3Notification(
    bucket,
    Array.from({ length: records }, () => key),
  );
  for (const record of event.Records) Object.assign(record, { eventSource: "minio:s3" });
  return JSON.stringify({ EventName: "s3:ObjectCreated:Put", Key: `${bucket}/${key}`, ...event });
}

/** A MinIO body of as many records for `key` as fit, padded with blanks to exactly the body limit. */
export function eventAtBodyLimit(bucket: string, key: string): string {
  const one = Buffer.byteLength(minioEvent(bucket, key));
  const two = Buffer.byteLength(minioEvent(bucket, key, 2));
  const records = 1 + Math.floor((MAX_BODY_BYTES - one) / (two - one));
  return minioEvent(bucket, key, records).padEnd(MAX_BODY_BYTES, " ");
}

/** POSTs `count` bodies, `parallel` at a time; resolves with how many got each status. */
export async function postEvents(
  url: string,
  count: number,
  body: (i: number) => string,
  parallel = 16,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const answer = await fetch(url, { method: "POST", body: body(next++) });
      await answer.arrayBuffer();
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, sender));
  return statuses;
}
