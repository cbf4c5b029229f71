import { Command, CommanderError, Option } from "commander";
import { describeError } from "../engine/index.js";
import { PreflightError, UsageError } from "../user-facing/errors.js";
import { formatBytes } from "../user-facing/format-bytes.js";
import { DEFAULTS, parseCliConfig, type RawOptions } from "./cli-config.js";
import { type CommandResult, copyCommand, syncCommand, verifyCommand } from "./commands.js";
import type { RawOperateOptions } from "./operate-options.js";
import { parseS3Url } from "./s3-url.js";
import { DEFAULT_JOURNAL_MAX, DEFAULT_MAX_ATTEMPTS } from "./watch-options.js";

declare const PACKAGE_VERSION: string;

function addCommonOptions(command: Command): Command {
  return command
    .option(
      "--source-profile <profile>",
      "AWS shared-config profile for the source (its endpoint_url is honoured)",
    )
    .option("--target-profile <profile>", "AWS shared-config profile for the target")
    .option("--source-region <region>", "source region; the partition (aws, aws-cn) follows from it")
    .option("--target-region <region>", "target region")
    .option("--source-endpoint <url>", "S3-compatible endpoint for the source (path-style)")
    .option("--target-endpoint <url>", "S3-compatible endpoint for the target (path-style)")
    .option("--target-secret <id>", "read the target keys from this Secrets Manager secret")
    .option(
      "--concurrency <n>",
      `parts in flight, fixed (default: from ${DEFAULTS.concurrency} up to ${DEFAULTS.adaptiveMax}, adapted to the link)`,
    )
    .option(
      "--part-size <size>",
      `part size for single-part sources, e.g. 8MiB, 64MB (default ${formatBytes(DEFAULTS.partSize)})`,
    )
    .option("--retries <n>", `retries per part after the first attempt (default ${DEFAULTS.retries})`)
    .option(
      "--stall-timeout <seconds>",
      `abort and retry a request with no bytes moving for this long (default ${DEFAULTS.stallTimeout})`,
    )
    .option("--storage-class <class>", "storage class of the target objects (default: the bucket's default)")
    .addOption(
      new Option("--sse <mode>", "server-side encryption of the target objects").choices([
        "AES256",
        "aws:kms",
      ]),
    )
    .option("--sse-kms-key-id <id>", "KMS key for --sse aws:kms (default: the AWS managed key)")
    .option("--json", "print one JSON summary on stdout and nothing else")
    .option("--quiet", "no progress display");
}

/** `status` and `redrive`: the deployed pipeline, named by its stack or its queue. */
function addOperateOptions(command: Command): Command {
  return command
    .option("--stack <name>", "the CloudFormation stack (its QueueUrl and DeadLetterQueueUrl outputs)")
    .option(
      "--queue-url <url>",
      "the work queue, instead of --stack (its RedrivePolicy names the dead-letter queue)",
    )
    .option(
      "--dlq-url <url>",
      "with --queue-url: the dead-letter queue, if its RedrivePolicy is not readable",
    )
    .option(
      "--region <region>",
      "region of the stack (default: the queue URL's, else AWS_REGION or the profile's)",
    )
    .option("--profile <profile>", "AWS shared-config profile (default: the SDK's credential chain)")
    .option("--json", "print one JSON object on stdout and nothing else");
}

type Action = (raw: RawOptions, ...urls: string[]) => Promise<CommandResult>;

/** The exit code decided by the command, carried out of commander's action. */
let exitCode = 0;

function run(action: Action) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const raw = command.opts<RawOptions>();
    const urls = args.slice(0, -2).filter((arg): arg is string => typeof arg === "string");
    const result = await action(raw, ...urls);
    if (raw.json) process.stdout.write(`${JSON.stringify(result.json)}\n`);
    else for (const line of result.text) process.stdout.write(`${line}\n`);
    for (const line of result.errors ?? []) process.stderr.write(`s3xsync: ${line}\n`);
    exitCode = result.exitCode;
  };
}

export function buildProgram(): Command {
  const program = new Command("s3xsync")
    .description("Keep S3 buckets in sync across AWS partitions (China <-> Global), with proven copies.")
    .version(typeof PACKAGE_VERSION === "string" ? PACKAGE_VERSION : "dev")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  addTransferCommands(program);
  addWatchCommand(program);
  addOperateCommands(program);
  return program;
}

/** copy, sync and verify: one source and one target, both s3:// URLs. */
function addTransferCommands(program: Command): void {
  addCommonOptions(
    program
      .command("copy")
      .description("copy one object, proving the target holds the same bytes")
      .argument("<source>", "s3://SRC_BUCKET/KEY")
      .argument("<target>", "s3://DST_BUCKET[/KEY] (a key ending in / is a folder)"),
  ).action(
    run((raw, source = "", target = "") =>
      copyCommand(parseCliConfig(raw), parseS3Url(source, "source"), parseS3Url(target, "target")),
    ),
  );

  addCommonOptions(
    program
      .command("sync")
      .description("copy what is missing or different under a prefix; skip what is equal")
      .argument("<source>", "s3://SRC_BUCKET[/PREFIX]")
      .argument("<target>", "s3://DST_BUCKET[/PREFIX]")
      .option("--delete", "remove target objects that have no source object")
      .option("--dry-run", "only say what would be copied and deleted"),
  ).action(
    run((raw, source = "", target = "") =>
      syncCommand(parseCliConfig(raw), parseS3Url(source, "source"), parseS3Url(target, "target"), {
        deleteExtra: raw.delete ?? false,
        dryRun: raw.dryRun ?? false,
      }),
    ),
  );

  addCommonOptions(
    program
      .command("verify")
      .description("compare both sides without writing; exit 1 when they differ")
      .argument("<source>", "s3://SRC_BUCKET[/PREFIX]")
      .argument("<target>", "s3://DST_BUCKET[/PREFIX]"),
  ).action(
    run((raw, source = "", target = "") =>
      verifyCommand(parseCliConfig(raw), parseS3Url(source, "source"), parseS3Url(target, "target")),
    ),
  );
}

function addWatchCommand(program: Command): void {
  addCommonOptions(
    program
      .command("watch")
      .description(
        "long-running worker: sync each key an event names, from an SQS queue or S3 notifications over HTTP",
      )
      .argument("<source>", "s3://SRC_BUCKET[/PREFIX] (only keys under PREFIX are synced)")
      .argument("<target>", "s3://DST_BUCKET (keys are kept as they are)")
      .option("--queue-url <url>", "long-poll this SQS queue (the stack's queue; shared with the function)")
      .option("--listen <host:port>", "receive S3 event notifications over HTTP (MinIO's webhook target)")
      .option("--journal <dir>", "--listen: where accepted events are kept until done")
      .option(
        "--max-attempts <n>",
        `--listen: attempts per event before it moves to the journal's failed/ (default ${DEFAULT_MAX_ATTEMPTS})`,
      )
      .option(
        "--journal-max <events>",
        `--listen: events the journal holds at most; beyond, senders get 503 (default ${DEFAULT_JOURNAL_MAX})`,
      )
      .option("--delete", "delete target objects whose source object is gone"),
  ).action(async (source: string, target: string, _options: unknown, command: Command) => {
    const { watchCommand } = await import("./watch-command.js");
    exitCode = await watchCommand(command.opts(), source, target);
  });
}

/**
 * status and redrive: the deployed stack, not the buckets. Their modules (and watch's) load when
 * the command runs: the CloudFormation, CloudWatch, SQS and SNS clients they bring cost every copy
 * and sync 43 ms of start-up otherwise (200 -> 157 ms for a run that stops at its arguments).
 */
function addOperateCommands(program: Command): void {
  addOperateOptions(
    program
      .command("status")
      .description(
        "the deployed pipeline at a glance: queue, dead letters, alarms, the last hour; exit 1 when something needs a look",
      ),
  ).action(
    run(async (raw) => (await import("./operate-commands.js")).statusCommand(raw as RawOperateOptions)),
  );

  addOperateOptions(
    program
      .command("redrive")
      .description("move the dead-letter queue's messages back to the work queue (after fixing the cause)"),
  ).action(
    run(async (raw) => (await import("./operate-commands.js")).redriveCommand(raw as RawOperateOptions)),
  );
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof PreflightError) {
      process.stderr.write(`s3xsync: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`s3xsync: ${describeError(error)}\n`);
    if (process.env.S3XSYNC_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
    return 2;
  }
}

// The AWS SDK warns on every run under Node 20 that its 2027 releases will need Node 22. The
// lockfile pins a release that supports Node 20, so the warning tells a user nothing to act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
main(process.argv).then((code) => {
  process.exitCode = code;
});
