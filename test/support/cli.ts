// Runs the built CLI (dist/cli/s3xsync.js) against a pair of test servers, each side with its
// own credentials through its own profile in a temporary shared-config file.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { S3Server } from "./minio.js";

export const CLI_PATH = resolve(import.meta.dirname, "../../dist/cli/s3xsync.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProfiles {
  /** Environment that points the SDK at the temporary config files. */
  env: Record<string, string>;
  /** `--source-profile source --target-profile target`. */
  args: string[];
  cleanup(): Promise<void>;
}

/** Writes profiles "source" and "target" (region, endpoint_url, keys) for the two servers. */
export async function writeProfiles(source: S3Server, target: S3Server): Promise<CliProfiles> {
  const dir = await mkdtemp(join(tmpdir(), "s3xsync-profiles-"));
  const config = join(dir, "config");
  const credentials = join(dir, "credentials");
  const profile = (name: string, server: S3Server) =>
    `[profile ${name}]\nregion = ${server.region}\nendpoint_url = ${server.endpoint}\n`;
  const keys = (name: string, server: S3Server) =>
    `[${name}]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`;
  await writeFile(config, profile("source", source) + profile("target", target));
  await writeFile(credentials, keys("source", source) + keys("target", target));
  return {
    env: { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials },
    args: ["--source-profile", "source", "--target-profile", "target"],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The environment a CLI child gets: no ambient AWS credentials or profile, only what a test gives. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("AWS_") && name !== "AWS_CA_BUNDLE") delete env[name];
  }
  return { ...env, ...extra };
}

export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to completion and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  return collect(child);
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** `copy` and `sync` --json summary, as README.md (Output and exit codes) gives it. */
export interface TransferJson {
  copied: number;
  skipped: number;
  deleted: number;
  failed: number;
  bytes: number;
  seconds: number;
  failures: { key: string; error: string }[];
}
