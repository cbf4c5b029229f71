import { openSides } from "../aws/open-sides.js";
import { createEngine, type Engine } from "../engine/index.js";
import { emptySyncSummary, runSync, type SyncSummary, tallyOutcome } from "../sync/run-sync.js";
import { runVerify } from "../sync/run-verify.js";
import { UsageError } from "../user-facing/errors.js";
import { formatBytes } from "../user-facing/format-bytes.js";
import type { CliConfig } from "./cli-config.js";
import { createProgress } from "./progress.js";
import { asFolderPrefix, copyTargetKey, type S3Location } from "./s3-url.js";

export async function openEngine(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
  onProgress?: (bytes: number) => void,
): Promise<Engine> {
  const sides = await openSides(config, { source: source.bucket, target: target.bucket }, config.engine);
  return createEngine({
    ...sides,
    options: config.engine,
    hooks: onProgress ? { onProgress: (event) => onProgress(event.bytes) } : {},
  });
}

export interface CommandResult {
  exitCode: 0 | 1;
  /** The --json summary. */
  json: object;
  /** The human summary line for stdout. */
  text: string[];
  /** One line per object that failed, for stderr (in --json mode too): what failed and where. */
  errors?: string[];
}

function transferResult(
  summary: SyncSummary,
  started: number,
  describeFailure: (failure: { key: string; error: string }) => string,
  extra: string[] = [],
): CommandResult {
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? formatBytes(summary.bytes / seconds) : "-";
  const { copied, skipped, deleted, failed, bytes, failures } = summary;
  return {
    exitCode: failed > 0 ? 1 : 0,
    // The key order of the README's `--json` summaries (Output and exit codes).
    json: { copied, skipped, deleted, failed, bytes, seconds: Number(seconds.toFixed(3)), failures },
    text: [
      ...extra,
      `copied ${copied}, skipped ${skipped}, deleted ${deleted}, failed ${failed}; ` +
        `${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${rate}/s)`,
    ],
    errors: failures.map(describeFailure),
  };
}

function url(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
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
  const engine = await openEngine(config, source, target, (bytes) => progress.bytes(bytes));
  const outcome = await engine.replicate({
    sourceKey: source.key,
    targetKey: copyTargetKey(source.key, target),
  });
  progress.stop();
  const summary = emptySyncSummary();
  // For copy, a missing source is the user's object failing, not a key that vanished mid-sync.
  tallyOutcome(
    summary,
    outcome.status === "skipped" && outcome.reason === "source-missing"
      ? { status: "failed", key: outcome.key, error: "source object does not exist", attempts: 1 }
      : outcome,
  );
  const targetUrl = url({ bucket: target.bucket, key: copyTargetKey(source.key, target) });
  return transferResult(summary, started, (f) => `failed: ${url(source)} -> ${targetUrl}: ${f.error}`);
}

export async function syncCommand(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
  flags: { deleteExtra: boolean; dryRun: boolean },
): Promise<CommandResult> {
  const started = Date.now();
  const progress = createProgress(!config.quiet && !flags.dryRun);
  const engine = await openEngine(config, source, target, (bytes) => progress.bytes(bytes));
  const planned: string[] = [];
  const summary = await runSync({
    engine,
    sourcePrefix: asFolderPrefix(source.key),
    targetPrefix: asFolderPrefix(target.key),
    deleteExtra: flags.deleteExtra,
    dryRun: flags.dryRun,
    onPlanned: (action, key, size) => {
      if (flags.dryRun) {
        planned.push(action === "copy" ? `would copy: ${key}` : `would delete: ${key}`);
      }
      progress.plan(1, size);
    },
    onOutcome: () => progress.objectDone(),
  });
  progress.stop();
  const result = transferResult(
    summary,
    started,
    (f) => `failed: ${f.key}: ${f.error} (sync ${url(source)} -> ${url(target)})`,
    planned,
  );
  return flags.dryRun ? { ...result, json: { ...result.json, dryRun: true } } : result;
}

export async function verifyCommand(
  config: CliConfig,
  source: S3Location,
  target: S3Location,
): Promise<CommandResult> {
  const engine = await openEngine(config, source, target);
  const summary = await runVerify(engine, asFolderPrefix(source.key), asFolderPrefix(target.key));
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
