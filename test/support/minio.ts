// Real S3 servers for integration tests: MinIO processes started from the cached binary that
// `node scripts/install-minio.mjs` builds (the `pretest` script runs it).
//
// Each server gets its own random ports, its own temp directory (removed on stop) and its own
// root credentials and region, so a pair of them stands in for the two AWS partitions.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { minioBinaryPath } from "../../scripts/minio-path.mjs";
import { freePort, type LaunchContext, startServerProcess } from "./server-process.js";

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
  /**
   * Extra environment for the server, applied last, e.g. a webhook notification target:
   * `MINIO_NOTIFY_WEBHOOK_ENABLE_<ID>=on`, `MINIO_NOTIFY_WEBHOOK_ENDPOINT_<ID>=http://...`,
   * `MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_<ID>=/dir`. The bucket notification's queue ARN then is
   * `arn:minio:sqs:<region>:<ID>:webhook` (with the region: an ARN without it is accepted but
   * delivers nothing).
   */
  env?: Record<string, string>;
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
    ...opts.env,
  };
}

async function minioArgs({ port, rootDir }: LaunchContext): Promise<string[]> {
  const dataDir = join(rootDir, "data");
  const certsDir = join(rootDir, "certs");
  await mkdir(dataDir);
  await mkdir(certsDir);
  const consolePort = await freePort();
  return [
    "server",
    dataDir,
    "--address",
    `127.0.0.1:${port}`,
    "--console-address",
    `127.0.0.1:${consolePort}`,
    "--certs-dir",
    certsDir,
  ];
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
  const server = await startServerProcess({
    name: "MinIO",
    command: binary,
    args: minioArgs,
    env: ({ rootDir }) => minioEnv(opts, rootDir),
    readyPath: "/minio/health/ready",
  });
  return {
    endpoint: server.endpoint,
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    region: opts.region,
    dataDir: join(server.rootDir, "data"),
    stop: server.stop,
  };
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
