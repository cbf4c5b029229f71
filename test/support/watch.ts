// Runs `s3xsync watch` (the built CLI) as a child process and reads its JSON log lines.
import type { ChildProcess } from "node:child_process";
import { type CliResult, collect, spawnCli } from "./cli.js";

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
