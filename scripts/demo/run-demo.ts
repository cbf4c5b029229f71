// The demo behind `npm start` (scripts/demo.mjs installs and builds first): two MinIO servers on
// loopback stand in for the two partitions (cn-north-1 source, us-east-1 target, different keys),
// the source bucket pushes real event notifications to `s3xsync watch --listen`, a varied sample
// set is uploaded, changed and partly deleted, and the target is proven equal to the source.
// Everything started here stops on exit and on Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createS3Client } from "../../src/aws/s3-client.js";
import { createEngine, SOURCE_ETAG_METADATA_KEY } from "../../src/engine/index.js";
import { runVerify } from "../../src/sync/run-verify.js";
import { formatBytes } from "../../src/user-facing/format-bytes.js";
import {
  type S3Server,
  SOURCE_OPTIONS,
  s3ClientFor,
  startMinio,
  TARGET_OPTIONS,
} from "../../test/support/minio.js";
import { freePort } from "../../test/support/server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/s3xsync.js");
const SOURCE_BUCKET = "reports-cn";
const TARGET_BUCKET = "reports-global";
const WEBHOOK_ID = "S3XSYNC";
const WAIT_FOR_SYNC_MS = 120_000;

const keep = process.argv.includes("--keep");
const tty = process.stdout.isTTY;
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);
const say = (line = "") => process.stdout.write(`${line}\n`);
const step = (line: string) => say(bold(`==> ${line}`));

// ---- what this process started, stopped on every exit path ------------------------------------

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say();
    say(`demo: ${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping the worker and the servers`);
    cleanUp().then(() => process.exit(keep ? 0 : 130));
  });
}

/** SIGKILLs the child if this process dies without cleaning up (e.g. SIGKILL). */
function watchdog(child: ChildProcess): void {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null';
  const dog = spawn("sh", ["-c", script, "s3xsync-demo-watchdog", String(process.pid), String(child.pid)], {
    detached: true,
    stdio: "ignore",
  });
  dog.unref();
  child.once("exit", () => dog.kill("SIGKILL"));
}

// ---- the worker ---------------------------------------------------------------------------------

interface ObjectLine {
  message: string;
  key?: string;
  outcome?: string;
  size?: number;
  verifiedBy?: string;
  lagMs?: number;
  error?: string;
}

interface Worker {
  child: ChildProcess;
  /** The last `object` log line per key. */
  lastOutcome: Map<string, ObjectLine>;
  /** The last `copied` log line per key: how its current copy was proven. */
  lastCopy: Map<string, ObjectLine>;
  stop(): Promise<number | null>;
}

function startWorker(args: string[], env: NodeJS.ProcessEnv, onObject: (line: ObjectLine) => void): Worker {
  const child = spawn(process.execPath, [CLI, "watch", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  watchdog(child);
  const lastOutcome = new Map<string, ObjectLine>();
  const lastCopy = new Map<string, ObjectLine>();
  const exited = new Promise<number | null>((resolvePromise) =>
    child.once("exit", (code) => resolvePromise(code)),
  );
  const reader = (stream: "stdout" | "stderr") => {
    let buffered = "";
    return (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const text of lines) {
        let line: ObjectLine | undefined;
        try {
          line = text.startsWith("{") ? (JSON.parse(text) as ObjectLine) : undefined;
        } catch {
          line = undefined;
        }
        if (line?.message === "object" && line.key !== undefined) {
          lastOutcome.set(line.key, line);
          if (line.outcome === "copied") lastCopy.set(line.key, line);
          onObject(line);
        } else if (stream === "stderr") {
          process.stderr.write(`  worker: ${text}\n`);
        }
      }
    };
  };
  child.stdout?.on("data", reader("stdout"));
  child.stderr?.on("data", reader("stderr"));
  return {
    child,
    lastOutcome,
    lastCopy,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function waitHealthy(url: string, worker: Worker): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited with ${worker.child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the worker at ${url} did not answer`);
}

// ---- the sample set -----------------------------------------------------------------------------

const text = (s: string) => Buffer.from(s, "utf8");
const tagging = (tags: Record<string, string>) => new URLSearchParams(tags).toString();

interface Sample {
  key: string;
  body: Buffer;
  extras?: Omit<PutObjectCommandInput, "Bucket" | "Key" | "Body">;
  /** Uploaded in parts of this size (a multipart object). */
  partSize?: number;
}

function samples(): Sample[] {
  return [
    { key: "README.txt", body: text("Reports replicated from Beijing to Virginia.\n") },
    {
      key: "reports/2026/q1.csv",
      body: text("region,revenue\ncn-north-1,100\n"),
      extras: {
        ContentType: "text/csv",
        Metadata: { owner: "finance", quarter: "2026-Q1" },
        Tagging: tagging({ classification: "internal", team: "finance" }),
      },
    },
    { key: "报告/年度 总结.txt", body: text("年度总结: 同步完成。\n"), extras: { ContentLanguage: "zh-CN" } },
    {
      key: "photos/summer trip/beach 1.jpg",
      body: randomBytes(300 * 1024),
      extras: { ContentType: "image/jpeg" },
    },
    {
      key: "data/a+b=c & 100%.json",
      body: text('{"ok":true}\n'),
      extras: { ContentType: "application/json" },
    },
    {
      key: "video/launch.mp4",
      body: randomBytes(40 * 1024 * 1024),
      partSize: 8 * 1024 * 1024,
      extras: {
        ContentType: "video/mp4",
        CacheControl: "max-age=86400",
        Metadata: { camera: "A7" },
        Tagging: tagging({ project: "launch" }),
      },
    },
    { key: "tmp/scratch.txt", body: text("to be deleted\n") },
  ];
}

async function upload(s3: S3Client, sample: Sample): Promise<void> {
  if (!sample.partSize) {
    await s3.send(
      new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: sample.key, Body: sample.body, ...sample.extras }),
    );
    return;
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: SOURCE_BUCKET, Key: sample.key, ...sample.extras }),
  );
  const parts = [];
  for (let start = 0, n = 1; start < sample.body.length; start += sample.partSize, n++) {
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: SOURCE_BUCKET,
        Key: sample.key,
        UploadId,
        PartNumber: n,
        Body: sample.body.subarray(start, start + sample.partSize),
      }),
    );
    parts.push({ PartNumber: n, ETag: part.ETag });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: SOURCE_BUCKET,
      Key: sample.key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

// ---- comparing one object's attributes ----------------------------------------------------------

async function attributes(s3: S3Client, bucket: string, key: string) {
  const [headed, tags] = await Promise.all([
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key })),
  ]);
  const { [SOURCE_ETAG_METADATA_KEY]: _added, ...metadata } = headed.Metadata ?? {};
  return JSON.stringify({
    contentType: headed.ContentType,
    cacheControl: headed.CacheControl,
    contentLanguage: headed.ContentLanguage,
    metadata: Object.entries(metadata).sort(),
    tags: (tags.TagSet ?? []).map((t) => [t.Key, t.Value]).sort(),
  });
}

async function listKeys(s3: S3Client, bucket: string): Promise<{ key: string; size: number }[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => ({ key: o.Key ?? "", size: o.Size ?? 0 }));
}

/** Terminal columns of a string: East Asian wide characters take two. */
function columns(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6);
    width += wide ? 2 : 1;
  }
  return width;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => columns(row[i] ?? "")))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - columns(cell))))
      .join("  ")
      .trimEnd(),
  );
}

// ---- the demo -----------------------------------------------------------------------------------

async function main(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), "s3xsync-demo-"));
  cleanups.push(() => rm(work, { recursive: true, force: true }));

  const hookPort = await freePort();
  step("starting two MinIO servers on 127.0.0.1, each with its own keys");
  const [source, target] = await Promise.all([
    startMinio({
      ...SOURCE_OPTIONS,
      env: {
        [`MINIO_NOTIFY_WEBHOOK_ENABLE_${WEBHOOK_ID}`]: "on",
        [`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${WEBHOOK_ID}`]: `http://127.0.0.1:${hookPort}/minio-events`,
        // Events MinIO could not deliver yet wait here (e.g. while the worker restarts).
        [`MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_${WEBHOOK_ID}`]: join(work, "minio-event-queue"),
      },
    }),
    startMinio(TARGET_OPTIONS),
  ]);
  cleanups.push(
    () => source.stop(),
    () => target.stop(),
  );
  say(`    source "China"  ${source.endpoint}  region ${source.region}  bucket ${SOURCE_BUCKET}`);
  say(`    target "Global" ${target.endpoint}  region ${target.region}  bucket ${TARGET_BUCKET}`);
  const src = s3ClientFor(source);
  const dst = s3ClientFor(target);
  await Promise.all([
    src.send(new CreateBucketCommand({ Bucket: SOURCE_BUCKET })),
    dst.send(new CreateBucketCommand({ Bucket: TARGET_BUCKET })),
  ]);

  // Profiles "cn" and "global" for the CLI, as a user would write them.
  const configFile = join(work, "aws-config");
  const credentialsFile = join(work, "aws-credentials");
  const profile = (name: string, s: S3Server) =>
    `[profile ${name}]\nregion = ${s.region}\nendpoint_url = ${s.endpoint}\n`;
  const keys = (name: string, s: S3Server) =>
    `[${name}]\naws_access_key_id = ${s.accessKeyId}\naws_secret_access_key = ${s.secretAccessKey}\n`;
  await writeFile(configFile, profile("cn", source) + profile("global", target));
  await writeFile(credentialsFile, keys("cn", source) + keys("global", target));
  const cliEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
  };
  for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
    delete cliEnv[name];
  const profileArgs = ["--source-profile", "cn", "--target-profile", "global"];

  const listen = `127.0.0.1:${hookPort}`;
  step(
    `starting the worker: s3xsync watch s3://${SOURCE_BUCKET} s3://${TARGET_BUCKET} --listen ${listen} --delete`,
  );
  const started = Date.now();
  const worker = startWorker(
    [
      `s3://${SOURCE_BUCKET}`,
      `s3://${TARGET_BUCKET}`,
      "--listen",
      listen,
      "--delete",
      "--journal",
      join(work, "journal"),
      ...profileArgs,
    ],
    cliEnv,
    (line) => {
      const detail =
        line.outcome === "copied"
          ? `${formatBytes(line.size ?? 0)}, verified by ${line.verifiedBy}${line.lagMs === undefined ? "" : `, ${line.lagMs} ms after the event`}`
          : line.outcome === "failed"
            ? line.error
            : "";
      say(`    ${(line.outcome ?? "").padEnd(21)} ${line.key}${detail ? `  (${detail})` : ""}`);
    },
  );
  cleanups.push(() => worker.stop());
  await waitHealthy(`http://${listen}/health`, worker);

  step(`sending the source bucket's events to the worker (MinIO webhook target ${WEBHOOK_ID})`);
  await src.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: SOURCE_BUCKET,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: `arn:minio:sqs:${source.region}:${WEBHOOK_ID}:webhook`,
            Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
          },
        ],
      },
    }),
  );

  const set = samples();
  step(
    `uploading ${set.length} objects to the source (small files, a 40 MiB multipart video, Chinese keys, spaces, metadata, tags)`,
  );
  for (const sample of set) await upload(src, sample);
  step("changing the source: overwriting reports/2026/q1.csv, deleting tmp/scratch.txt");
  await src.send(
    new PutObjectCommand({
      Bucket: SOURCE_BUCKET,
      Key: "reports/2026/q1.csv",
      Body: text("region,revenue\ncn-north-1,100\ncn-northwest-1,250\n"),
      ContentType: "text/csv",
      Metadata: { owner: "finance", quarter: "2026-Q1", revision: "2" },
      Tagging: tagging({ classification: "internal", team: "finance" }),
    }),
  );
  await src.send(new DeleteObjectCommand({ Bucket: SOURCE_BUCKET, Key: "tmp/scratch.txt" }));

  step("waiting until the target matches the source");
  const engine = createEngine({
    source: {
      client: createS3Client(
        { region: source.region, endpoint: source.endpoint, credentials: src.config.credentials },
        { maxSockets: 8, maxAttempts: 3, stallTimeoutMs: 30_000 },
        "source",
      ),
      bucket: SOURCE_BUCKET,
    },
    target: {
      client: createS3Client(
        { region: target.region, endpoint: target.endpoint, credentials: dst.config.credentials },
        { maxSockets: 8, maxAttempts: 3, stallTimeoutMs: 30_000 },
        "target",
      ),
      bucket: TARGET_BUCKET,
    },
    options: {
      concurrency: 4,
      partSize: 8 * 1024 * 1024,
      attempts: 3,
      stallTimeoutMs: 30_000,
      encryption: { kind: "none" },
    },
  });
  const deadline = Date.now() + WAIT_FOR_SYNC_MS;
  // The demo made both buckets itself: they need no proof of being there.
  const compareSides = () => runVerify(engine, { source: "", target: "" }, Promise.resolve());
  let summary = await compareSides();
  while (!summary.inSync && Date.now() < deadline && !interrupted) {
    await new Promise((r) => setTimeout(r, 500));
    summary = await compareSides();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  step("result per object");
  const sourceObjects = await listKeys(src, SOURCE_BUCKET);
  const rows = [["key", "size", "verified by", "metadata+tags", "lag"]];
  let attributesEqual = true;
  for (const { key, size } of sourceObjects) {
    const line = worker.lastCopy.get(key) ?? worker.lastOutcome.get(key);
    let same = "missing";
    try {
      same =
        (await attributes(src, SOURCE_BUCKET, key)) === (await attributes(dst, TARGET_BUCKET, key))
          ? "equal"
          : "DIFFERENT";
    } catch {
      same = "missing";
    }
    if (same !== "equal") attributesEqual = false;
    rows.push([
      key,
      formatBytes(size),
      line?.outcome === "copied" ? (line.verifiedBy ?? "-") : (line?.outcome ?? "-"),
      same,
      line?.lagMs === undefined ? "-" : `${line.lagMs} ms`,
    ]);
  }
  for (const [key, line] of worker.lastOutcome) {
    if (!sourceObjects.some((o) => o.key === key)) rows.push([key, "-", line.outcome ?? "-", "-", "-"]);
  }
  for (const row of table(rows)) say(`    ${row}`);

  step(`s3xsync verify s3://${SOURCE_BUCKET} s3://${TARGET_BUCKET}`);
  const verify = await new Promise<{ code: number | null; out: string }>((resolvePromise) => {
    const child = spawn(
      process.execPath,
      [CLI, "verify", `s3://${SOURCE_BUCKET}`, `s3://${TARGET_BUCKET}`, ...profileArgs],
      {
        env: cliEnv,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("exit", (code) => resolvePromise({ code, out }));
  });
  for (const line of verify.out.trim().split("\n")) say(`    ${line}`);
  const ok = summary.inSync && attributesEqual && verify.code === 0;
  say();
  say(
    ok
      ? bold(`demo: the target matches the source (${seconds} s from the worker's start)`)
      : bold("demo: the target does NOT match the source"),
  );

  if (keep && !interrupted) {
    say();
    say("The servers and the worker keep running; upload to the source and watch it sync. Try by hand:");
    say();
    say(`  export AWS_CONFIG_FILE=${configFile} AWS_SHARED_CREDENTIALS_FILE=${credentialsFile}`);
    say(
      `  node ${CLI} copy   s3://${SOURCE_BUCKET}/README.txt s3://${TARGET_BUCKET}/copies/ ${profileArgs.join(" ")}`,
    );
    say(
      `  node ${CLI} sync   s3://${SOURCE_BUCKET}/reports s3://${TARGET_BUCKET}/backup/reports ${profileArgs.join(" ")}`,
    );
    say(`  node ${CLI} verify s3://${SOURCE_BUCKET} s3://${TARGET_BUCKET} ${profileArgs.join(" ")}`);
    say(
      `  AWS_PROFILE=cn aws s3 cp ./some-file s3://${SOURCE_BUCKET}/new/   # with the AWS CLI, if installed`,
    );
    say();
    say("Press Ctrl-C to stop them (nothing is left behind).");
    await new Promise(() => {});
  }
  return ok ? 0 : 1;
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    await cleanUp();
    process.exit(1);
  });
