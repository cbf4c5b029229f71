// Local server processes for integration tests (MinIO, moto, ...): the generic machinery.
//
// startServerProcess() spawns a server on 127.0.0.1 with a fresh free port and its own temp
// directory, waits until an HTTP readiness path answers 200, and returns a handle whose stop()
// ends the process and removes the directory. Nothing outlives the test process: exit hooks kill
// live servers, and a detached watchdog per server SIGKILLs it and removes its directory even if
// the test process itself is SIGKILLed (e.g. a vitest worker on timeout).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What one launch attempt gets: its port and its (empty, fresh) temp directory. */
export interface LaunchContext {
  /** The port the server must listen on, on 127.0.0.1. */
  port: number;
  /** A fresh directory under os.tmpdir(), removed by stop(). Also the server's working directory. */
  rootDir: string;
}

export interface ServerProcessOptions {
  /** Used in error messages and in the temp directory's name, e.g. "MinIO". */
  name: string;
  /** The executable (looked up on PATH). */
  command: string;
  /**
   * The command line for one attempt. Called again for each retry (new port, new rootDir); it may
   * prepare files in rootDir and take more ports with freePort().
   */
  args: (ctx: LaunchContext) => string[] | Promise<string[]>;
  /** The server's whole environment (not merged with process.env). Default: process.env. */
  env?: NodeJS.ProcessEnv | ((ctx: LaunchContext) => NodeJS.ProcessEnv);
  /** Path polled with GET until it answers 200, e.g. "/minio/health/ready". */
  readyPath: string;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in stop(). Default 5 s. */
  stopGraceMs?: number;
  /** Launch attempts when the chosen port turns out to be taken ("already in use"). Default 3. */
  startAttempts?: number;
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** The server's temp directory (see LaunchContext.rootDir); removed by stop(). */
  rootDir: string;
  /** The last few KB of the server's stdout and stderr, for diagnostics. */
  outputTail(): string;
  /** SIGTERM, SIGKILL after stopGraceMs, then removes rootDir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_GRACE_MS = 5_000;
const DEFAULT_START_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4_000;

// Every server started by this process, so none outlives it. (Their watchdogs are left running on
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

/** A port on 127.0.0.1 that is free now and was never handed out before by this process. */
export async function freePort(): Promise<number> {
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

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitPromise(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/**
 * A detached shell that, once this process is gone (even if killed with SIGKILL), SIGKILLs the
 * server and removes its directory. stop() ends it.
 */
function startWatchdog(name: string, serverPid: number, rootDir: string): ChildProcess {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null; rm -rf "$3"';
  const watchdog = spawn(
    "sh",
    ["-c", script, `${slug(name)}-watchdog`, String(process.pid), String(serverPid), rootDir],
    { detached: true, stdio: "ignore" },
  );
  watchdog.on("error", () => {});
  watchdog.unref();
  return watchdog;
}

async function waitReady(
  opts: ServerProcessOptions,
  endpoint: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const timeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.once("error", (err) => {
    spawnError = err;
  });
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`could not start ${opts.name}: ${spawnError.message}`);
    if (hasExited(child)) {
      const how = child.exitCode ?? child.signalCode;
      throw new Error(`${opts.name} exited with ${how} before it was ready; output:\n${output()}`);
    }
    try {
      const res = await fetch(`${endpoint}${opts.readyPath}`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    await delay(100);
  }
  throw new Error(
    `${opts.name} at ${endpoint} not ready after ${timeoutMs / 1000} s (${lastProblem}); output:\n${output()}`,
  );
}

async function startOnce(opts: ServerProcessOptions): Promise<ServerProcess> {
  const rootDir = await mkdtemp(join(tmpdir(), `s3xsync-${slug(opts.name)}-`));
  let child: ChildProcess;
  let port: number;
  try {
    port = await freePort();
    const ctx: LaunchContext = { port, rootDir };
    const args = await opts.args(ctx);
    const env = typeof opts.env === "function" ? opts.env(ctx) : (opts.env ?? process.env);
    installExitHooks();
    child = spawn(opts.command, args, { cwd: rootDir, env, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    await rm(rootDir, { recursive: true, force: true, maxRetries: 3 });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  live.add(child);
  child.on("error", () => {}); // reported by waitReady; never an unhandled 'error' event
  let tail = "";
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = exitPromise(child);
  const watchdog = child.pid === undefined ? undefined : startWatchdog(opts.name, child.pid, rootDir);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.pid !== undefined && !hasExited(child)) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
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
    await waitReady(opts, endpoint, child, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, rootDir, outputTail: () => tail, stop };
}

/**
 * Starts a server on 127.0.0.1 with a free port and a fresh temp directory (its working
 * directory), and resolves once `GET <endpoint><readyPath>` answers 200. If the server exits early
 * because the port was taken meanwhile, it retries with a new port and directory.
 *
 * Errors name the server and include the tail of its output.
 */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const attempts = opts.startAttempts ?? DEFAULT_START_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      // A port picked as free may have been taken before the server bound it: try new ports.
      const portClash = err instanceof Error && /already in use/i.test(err.message);
      if (!portClash || attempt >= attempts) throw err;
    }
  }
}
