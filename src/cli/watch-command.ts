import { runWatch } from "../watch/run-watch.js";
import { parseWatchOptions, type RawWatchOptions } from "../watch/watch-options.js";
import { parseCliConfig, type RawOptions } from "./cli-config.js";
import { parseS3Url } from "./s3-url.js";

/** `s3xsync watch`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function watchCommand(raw: RawOptions & RawWatchOptions, source: string, target: string) {
  const config = parseCliConfig(raw);
  const sourceLocation = parseS3Url(source, "source");
  const targetLocation = parseS3Url(target, "target");
  return runWatch(config, sourceLocation, targetLocation, parseWatchOptions(raw, sourceLocation.bucket));
}
