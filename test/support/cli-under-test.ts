// The CLI the heavy suites and the benchmarks run: the built dist/cli/s3xsync.js (spawnCli), or
// another build named by S3XSYNC_CLI, to measure a changed engine or default before it lands.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { spawnCli } from "./cli.js";

/** The path S3XSYNC_CLI names, or undefined for the project's own build. */
export function cliOverride(): string | undefined {
  const path = process.env.S3XSYNC_CLI;
  return path ? resolve(path) : undefined;
}

/** Like spawnCli (same environment rules: no ambient AWS settings but the CA bundle), maybe another build. */
export function spawnCliUnderTest(args: string[], env: Record<string, string> = {}): ChildProcess {
  const override = cliOverride();
  if (!override) return spawnCli(args, env);
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (name.startsWith("AWS_") && name !== "AWS_CA_BUNDLE") delete base[name];
  }
  return spawn(process.execPath, [override, ...args], {
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Which build runs, for reports: the project's dist/ or the S3XSYNC_CLI override (S3XSYNC_CLI_NOTE says what it is). */
export function cliDescription(): string {
  const override = cliOverride();
  const note = process.env.S3XSYNC_CLI_NOTE ? `: ${process.env.S3XSYNC_CLI_NOTE}` : "";
  return override
    ? `${override} (S3XSYNC_CLI${note})`
    : "dist/cli/s3xsync.js (npm run build of this checkout)";
}
