import { openSides } from "../aws/open-sides.js";
import { UsageError } from "../user-facing/errors.js";
import { runWatch } from "../watch/run-watch.js";
import { parseCliConfig, type RawOptions } from "./cli-config.js";
import { asFolderPrefix, parseS3Url } from "./s3-url.js";
import { parseEventSource, type RawWatchOptions } from "./watch-options.js";

/** `s3xsync watch`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function watchCommand(
  raw: RawOptions & RawWatchOptions,
  source: string,
  target: string,
): Promise<number> {
  const config = parseCliConfig(raw);
  const sourceLocation = parseS3Url(source, "source");
  const targetLocation = parseS3Url(target, "target");
  const events = parseEventSource(raw, sourceLocation.bucket);
  if (targetLocation.key !== "") {
    throw new UsageError(
      `target s3://${targetLocation.bucket}/${targetLocation.key}: watch keeps every key as it is; give the target as s3://${targetLocation.bucket}`,
    );
  }
  const sides = await openSides(
    config,
    { source: sourceLocation.bucket, target: targetLocation.bucket },
    config.engine,
  );
  await sides.reachable;
  return runWatch({
    sides,
    engine: config.engine,
    prefixFilter: asFolderPrefix(sourceLocation.key),
    syncDeletes: raw.delete ?? false,
    quiet: config.quiet,
    events,
  });
}
