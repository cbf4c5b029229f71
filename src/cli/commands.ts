import { openSides } from "../aws/open-sides.js";
import { createEngine, type Engine } from "../engine/index.js";
import { emptySyncSummary, type PlannedAction, runSync, tallyOutcome } from "../sync/run-sync.js";
import { runVerify } from "../sync/run-verify.js";
import { UsageError } from "../user-facing/errors.js";
import { listenForStop, type StopSignal } from "../user-facing/stop-signals.js";
import type { CliConfig } from "./cli-config.js";
import { createProgress, type Progress } from "./progress.js";
import { asFolderPrefix, copyTargetKey, type S3Location } from "./s3-url.js";
import { type CommandResult, transferResult } from "./transfer-report.js";

export type { CommandResult } from "./transfer-report.js";

/** The engine over both sides, and the proof that both buckets are reachable (see OpenedSides). */
export async function openEngine(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
  onProgress?: (bytes: number) => void,
): Promise<{ engine: Engine; reachable: Promise<void> }> {
  const sides = await openSides(config, { source: source.bucket, target: target.bucket }, config.engine);
  const engine = createEngine({
    source: sides.source,
    target: sides.target,
    options: config.engine,
    hooks: onProgress ? { onProgress: (event) => onProgress(event.bytes) } : {},
  });
  return { engine, reachable: sides.reachable };
}

function url(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

function copyLine(source: S3Location, target: S3Location): string {
  return `${url(source)} -> ${url(target)}`;
}

/** The first SIGINT/SIGTERM: the progress line goes, and the user learns what happens next. */
function announceStop(signal: StopSignal, progress: Progress): void {
  progress.stop();
  process.stderr.write(
    `s3xsync: ${signal}: starting no new transfers; those in flight finish first (${signal} again stops at once)\n`,
  );
}

export async function copyCommand(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
): Promise<CommandResult> {
  if (source.key === "" || source.key.endsWith("/")) {
    throw new UsageError(
      `source s3://${source.bucket}/${source.key} names no object: copy takes one key (use sync for prefixes)`,
    );
  }
  const started = Date.now();
  const progress = createProgress(!config.quiet);
  const stop = listenForStop((signal) => announceStop(signal, progress));
  try {
    const { engine, reachable } = await openEngine(config, source, target, (bytes) => progress.bytes(bytes));
    await reachable;
    const targetAt = { bucket: target.bucket, key: copyTargetKey(source.key, target) };
    const summary = emptySyncSummary();
    if (stop.received === undefined) {
      const outcome = await engine.replicate(
        { sourceKey: source.key, targetKey: targetAt.key },
        { shouldStartPart: () => stop.received === undefined },
      );
      // For copy, a missing source is the user's object failing, not a key that vanished mid-sync.
      tallyOutcome(
        summary,
        outcome.status === "skipped" && outcome.reason === "source-missing"
          ? { status: "failed", key: outcome.key, error: "source object does not exist", attempts: 1 }
          : outcome,
      );
    }
    progress.stop();
    return transferResult({
      summary,
      started,
      describeFailure: (f) => `failed: ${copyLine(source, targetAt)}: ${f.error}`,
      describeCopy: () => copyLine(source, targetAt),
      stoppedBy: stop.received,
    });
  } finally {
    stop.dispose();
  }
}

/** `would copy s3://SRC/KEY -> s3://DST/KEY`, `would delete s3://DST/KEY`: both ends, as full URLs. */
function dryRunLine(plan: PlannedAction, source: S3Location, target: S3Location): string {
  const targetAt = { bucket: target.bucket, key: plan.targetKey };
  return plan.action === "copy"
    ? `would copy ${copyLine({ bucket: source.bucket, key: plan.sourceKey }, targetAt)}`
    : `would delete ${url(targetAt)}`;
}

export async function syncCommand(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
  flags: { deleteExtra: boolean; dryRun: boolean },
): Promise<CommandResult> {
  const started = Date.now();
  const progress = createProgress(!config.quiet && !flags.dryRun);
  const stop = listenForStop((signal) => announceStop(signal, progress));
  try {
    const { engine, reachable } = await openEngine(config, source, target, (bytes) => progress.bytes(bytes));
    const sourcePrefix = asFolderPrefix(source.key);
    const targetPrefix = asFolderPrefix(target.key);
    let plannedBytes = 0;
    const summary = await runSync({
      engine,
      sourcePrefix,
      targetPrefix,
      reachable,
      deleteExtra: flags.deleteExtra,
      dryRun: flags.dryRun,
      shouldStart: () => stop.received === undefined,
      onPlanned: (plan) => {
        const size = plan.action === "copy" ? plan.size : 0;
        plannedBytes += size;
        progress.plan(1, size);
        // Printed as found, so a dry run over millions of keys holds none of its lines.
        if (flags.dryRun && !config.json) process.stdout.write(`${dryRunLine(plan, source, target)}\n`);
      },
      onOutcome: () => progress.objectDone(),
    });
    progress.stop();
    const sourceAt = (key: string) => ({ bucket: source.bucket, key });
    const targetAt = (key: string) => ({
      bucket: target.bucket,
      key: targetPrefix + key.slice(sourcePrefix.length),
    });
    return transferResult({
      summary,
      started,
      describeFailure: (f) => `failed: ${f.key}: ${f.error} (sync ${url(source)} -> ${url(target)})`,
      describeCopy: (key) => copyLine(sourceAt(key), targetAt(key)),
      dryRun: flags.dryRun ? { bytes: plannedBytes } : undefined,
      stoppedBy: stop.received,
    });
  } finally {
    stop.dispose();
  }
}

export async function verifyCommand(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
): Promise<CommandResult> {
  const { engine, reachable } = await openEngine(config, source, target);
  const prefixes = { source: asFolderPrefix(source.key), target: asFolderPrefix(target.key) };
  const summary = await runVerify(engine, prefixes, reachable);
  const { errors, ...compared } = summary;
  const text = [
    ...summary.missing.map((key) => `missing: ${key}`),
    ...summary.different.map((key) => `different: ${key}`),
    ...summary.extra.map((key) => `extra: ${key}`),
    summary.inSync
      ? `in sync: ${summary.same} objects`
      : `not in sync: ${summary.same} same, ${summary.missing.length} missing, ` +
        `${summary.different.length} different, ${summary.extra.length} extra` +
        (errors.length > 0 ? `, ${errors.length} not compared` : ""),
  ];
  return {
    exitCode: summary.inSync ? 0 : 1,
    // The README's --json form; "errors" only when a key could not be compared.
    json: errors.length > 0 ? summary : compared,
    text,
    errors: errors.map(
      (e) => `could not compare: ${e.key}: ${e.error} (verify ${url(source)} -> ${url(target)})`,
    ),
  };
}
