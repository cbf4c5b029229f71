// Real S3 servers for integration tests: MinIO processes started from the cached binary that
// `node scripts/install-minio.mjs` builds (the `pretest` script runs it).
//
// Each server gets its own random ports, its own temp directory (removed on stop) and its own
// root credentials and region, so a pair of them stands in for the two AWS partitions.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { minioBinaryPath } from "../../scripts/minio-path.mjs";

export interface S3Server {
  /** e.g. `http://127.0.0.1:40123` (plain http, path-style addressing). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The MinIO drive directory (under os.tmpdir()); removed by stop(). */
  dataDir: string;
  /** SIGTERM, SIGKILL after 5 s, then removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

export interface MinioOptions {
  region: string;
  accessKeyId: string;
  /** MinIO requires at least 8 characters. */
  secretAccessKey: string;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;
const START_ATTEMPTS = 3;

// Every MinIO started by this process, so none outlives it. (Their watchdogs are left running on
// exit: they notice this process is gone within a second and remove the temp directories.)
const live = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of live) child.kill("SIGKILL");
    live.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      // Nobody else handles it: re-raise so the default action still ends the process.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

// Ports handed out by this process: never hand out the same one twice.
const usedPorts = new Set<number>();

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const p = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

function exitPromise(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A detached shell that, once this process is gone (even if killed with SIGKILL, e.g. a vitest
 * worker on timeout), SIGKILLs MinIO and removes its directory. stop() ends it.
 */
function startWatchdog(minioPid: number, rootDir: string): ChildProcess {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null; rm -rf "$3"';
  const watchdog = spawn(
    "sh",
    ["-c", script, "minio-watchdog", String(process.pid), String(minioPid), rootDir],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  watchdog.on("error", () => {});
  watchdog.unref();
  return watchdog;
}

function minioEnv(opts: MinioOptions, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Nothing MinIO-specific from the caller's environment leaks into the test servers.
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("MINIO_") && key !== "CI") env[key] = value;
  }
  return {
    ...env,
    HOME: home, // MinIO creates ~/.minio even with --certs-dir
    MINIO_ROOT_USER: opts.accessKeyId,
    MINIO_ROOT_PASSWORD: opts.secretAccessKey,
    // This version reads MINIO_REGION (legacy) first, then MINIO_SITE_REGION; the latter is current.
    MINIO_SITE_REGION: opts.region,
    MINIO_BROWSER: "off",
    MINIO_UPDATE: "off",
    MINIO_CALLHOME_ENABLE: "off",
    // CI/CD mode: 256 MiB buffer pool instead of half the RAM, no root-drive checks.
    MINIO_CI_CD: "1",
  };
}

async function waitReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  let spawnError: Error | undefined;
  child.once("error", (err) => {
    spawnError = err;
  });
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`could not start MinIO: ${spawnError.message}`);
    if (exited) throw new Error(`MinIO ${exited} before it was ready; output:\n${output()}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    await delay(100);
  }
  throw new Error(
    `MinIO at ${endpoint} not ready after ${READY_TIMEOUT_MS / 1000} s (${lastProblem}); output:\n${output()}`,
  );
}

async function startOnce(opts: MinioOptions, binary: string): Promise<S3Server> {
  const rootDir = await mkdtemp(join(tmpdir(), "s3xsync-minio-"));
  const dataDir = join(rootDir, "data");
  const certsDir = join(rootDir, "certs");
  await mkdir(dataDir);
  await mkdir(certsDir);
  const port = await freePort();
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;

  installExitHooks();
  const child = spawn(
    binary,
    [
      "server",
      dataDir,
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--certs-dir",
      certsDir,
    ],
    { env: minioEnv(opts, rootDir), stdio: ["ignore", "pipe", "pipe"] },
  );
  live.add(child);
  child.on("error", () => {}); // reported by waitReady; never an unhandled 'error' event
  let tail = "";
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = exitPromise(child);
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid, rootDir);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      watchdog?.kill("SIGKILL");
      await rm(rootDir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  try {
    await waitReady(endpoint, child, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoint,
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    region: opts.region,
    dataDir,
    stop,
  };
}

/** Starts one MinIO server on 127.0.0.1 (random ports) with the given root credentials and region. */
export async function startMinio(opts: MinioOptions): Promise<S3Server> {
  const binary = minioBinaryPath();
  if (!existsSync(binary)) {
    throw new Error(
      `MinIO binary not found at ${binary}: run 'node scripts/install-minio.mjs' (npm test does it in pretest)`,
    );
  }
  if (opts.secretAccessKey.length < 8)
    throw new Error("MinIO needs a secretAccessKey of at least 8 characters");
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, binary);
    } catch (err) {
      // A port picked as free may have been taken before MinIO bound it: try new ports.
      const portClash = err instanceof Error && /already in use/i.test(err.message);
      if (!portClash || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

/** The China partition stand-in. */
export const SOURCE_OPTIONS: MinioOptions = {
  region: "cn-north-1",
  accessKeyId: "cn-source-admin",
  secretAccessKey: "cn-source-secret-0001",
};

/** The Global (aws) partition stand-in. */
export const TARGET_OPTIONS: MinioOptions = {
  region: "us-east-1",
  accessKeyId: "global-target-admin",
  secretAccessKey: "global-target-secret-0002",
};

/** Two independent servers: source plays China (cn-north-1), target plays Global (us-east-1). */
export async function startPartitionPair(): Promise<{
  source: S3Server;
  target: S3Server;
  stop(): Promise<void>;
}> {
  const [source, target] = await Promise.allSettled([startMinio(SOURCE_OPTIONS), startMinio(TARGET_OPTIONS)]);
  if (source.status === "rejected" || target.status === "rejected") {
    await Promise.all([source, target].map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    const reason = source.status === "rejected" ? source.reason : (target as PromiseRejectedResult).reason;
    throw reason;
  }
  return {
    source: source.value,
    target: target.value,
    stop: async () => {
      await Promise.all([source.value.stop(), target.value.stop()]);
    },
  };
}

/** An S3Client for the server: path-style, its endpoint, region and static root credentials. */
export function s3ClientFor(server: S3Server, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...config,
  });
}
