/** A mistake in the command line or configuration: one line to the user, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
