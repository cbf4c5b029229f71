/** A mistake in the command line or configuration: one line to the user, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Problems found before any object was touched (a bucket, a queue, a port): exit code 2. */
export class PreflightError extends Error {
  override name = "PreflightError";
}
