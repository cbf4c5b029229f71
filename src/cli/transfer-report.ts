import type { SyncSummary } from "../sync/run-sync.js";
import { formatBytes } from "../user-facing/format-bytes.js";
import { exitCodeFor, type StopSignal } from "../user-facing/stop-signals.js";

export interface CommandResult {
  /** 0 done, 1 some objects failed or differ, 130/143 stopped by SIGINT/SIGTERM. */
  exitCode: number;
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
  /** Both ends of a source key's copy, `s3://SRC/KEY -> s3://DST/KEY`, for the paused lines. */
  describeCopy: (sourceKey: string) => string;
  /** A dry run: the counts are what would be done, with the bytes the copies would move. */
  dryRun?: { bytes: number };
  stoppedBy?: StopSignal;
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

/** What happened, what a stop left for the next run, and the exit code. */
function stopLines(run: TransferRun, counts: string): string[] {
  if (!run.stoppedBy) return [counts];
  return [
    ...run.summary.paused.map(
      (p) =>
        `paused: ${run.describeCopy(p.key)}: ${formatBytes(p.bytes)} of ${formatBytes(p.size)} sent ` +
        "in this run; a rerun resumes it from the stored parts",
    ),
    `interrupted by ${run.stoppedBy}: ${counts}; run the same command again to finish ` +
      "(objects done are skipped, paused copies resume)",
  ];
}

export function transferResult(run: TransferRun): CommandResult {
  const seconds = (Date.now() - run.started) / 1000;
  const { copied, skipped, deleted, failed, bytes, failures, paused } = run.summary;
  return {
    exitCode: run.stoppedBy ? exitCodeFor(run.stoppedBy) : failed > 0 ? 1 : 0,
    // The key order of the README's `--json` summaries (Output and exit codes); what a dry run or
    // a stop adds comes after, so the documented fields keep their names and meaning.
    json: {
      copied,
      skipped,
      deleted,
      failed,
      bytes,
      seconds: Number(seconds.toFixed(3)),
      failures,
      ...(run.dryRun ? { dryRun: true } : {}),
      ...(run.stoppedBy ? { interrupted: run.stoppedBy, paused } : {}),
    },
    text: stopLines(run, countsLine(run, seconds)),
    errors: failures.map(run.describeFailure),
  };
}
