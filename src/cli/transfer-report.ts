import type { SyncSummary } from "../sync/run-sync.js";
import { formatBytes } from "../user-facing/format-bytes.js";

export interface CommandResult {
  exitCode: 0 | 1;
  /** The --json summary. */
  json: object;
  /** The human summary lines for stdout. */
  text: string[];
  /** One line per object that failed, for stderr (in --json mode too): what failed and where. */
  errors?: string[];
}

export interface TransferRun {
  summary: SyncSummary;
  started: number;
  /** The stderr line for one failed object. */
  describeFailure: (failure: { key: string; error: string }) => string;
  /** A dry run: the counts are what would be done, with the bytes the copies would move. */
  dryRun?: { bytes: number };
}

function countsLine(run: TransferRun, seconds: number): string {
  const { copied, skipped, deleted, failed, bytes } = run.summary;
  if (run.dryRun) {
    return (
      `would copy ${copied} (${formatBytes(run.dryRun.bytes)}), would delete ${deleted}, ` +
      `skipped ${skipped}, failed ${failed}; dry run: nothing was written`
    );
  }
  const rate = seconds > 0 ? formatBytes(bytes / seconds) : "-";
  return (
    `copied ${copied}, skipped ${skipped}, deleted ${deleted}, failed ${failed}; ` +
    `${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${rate}/s)`
  );
}

export function transferResult(run: TransferRun): CommandResult {
  const seconds = (Date.now() - run.started) / 1000;
  const { copied, skipped, deleted, failed, bytes, failures } = run.summary;
  return {
    exitCode: failed > 0 ? 1 : 0,
    // The key order of the README's `--json` summaries (Output and exit codes); what a dry run
    // adds comes after, so the documented fields keep their names and meaning.
    json: {
      copied,
      skipped,
      deleted,
      failed,
      bytes,
      seconds: Number(seconds.toFixed(3)),
      failures,
      ...(run.dryRun ? { dryRun: true } : {}),
    },
    text: [countsLine(run, seconds)],
    errors: failures.map(run.describeFailure),
  };
}
