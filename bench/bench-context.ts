// What every benchmark run sets up and records: the two MinIO servers with their clients and CLI
// profiles, tmpfs for files, the peers' binaries checked, and the machine, load and versions the
// results were measured with.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { minioBinaryPath, repoRoot } from "../scripts/minio-path.mjs";
import { PEERS, peerBinaryPath } from "../scripts/peer-paths.mjs";
import { writeProfiles } from "../test/support/cli.js";
import { s3ClientFor, startPartitionPair } from "../test/support/minio.js";
import { spread } from "./report.js";
import type { BenchResults, RunRecord } from "./results-types.js";
import { type Context, cleanEnv, minioPid, SRC_BUCKET } from "./tool-runs.js";

/** Throws one line naming the first binary that is missing: MinIO's or one of `peers`. */
export function checkBinaries(peers: ("rclone" | "s5cmd" | "s3raw")[]): void {
  for (const binary of [minioBinaryPath(), ...peers.map(peerBinaryPath)]) {
    const r = spawnSync(binary, ["--version"], { stdio: "ignore" });
    if (r.error)
      throw new Error(
        `${binary} is missing: run node scripts/install-minio.mjs and node scripts/install-peers.mjs`,
      );
  }
}

export function loadAverage(): number[] {
  return loadavg().map((v) => Number(v.toFixed(2)));
}

/** Both servers, the source bucket, tmpfs and the profiles; stop() removes them all. */
export async function startBenchContext(): Promise<{ ctx: Context; stop(): Promise<void> }> {
  const pair = await startPartitionPair();
  const shmDir = await mkdtemp("/dev/shm/s3xsync-bench-");
  // tmpfs is memory: never leave it behind, even on an error or Ctrl-C.
  const cleanupShm = () => rmSync(shmDir, { recursive: true, force: true });
  process.once("exit", cleanupShm);
  const rcloneConfig = join(shmDir, "rclone.conf");
  writeFileSync(rcloneConfig, "");
  const profiles = await writeProfiles(pair.source, pair.target);
  const ctx: Context = {
    source: pair.source,
    target: pair.target,
    sourceClient: s3ClientFor(pair.source),
    targetClient: s3ClientFor(pair.target),
    profiles,
    rcloneConfig,
    shmDir,
    filesDir: join(shmDir, "files"),
    sourcePid: minioPid(pair.source),
    targetPid: minioPid(pair.target),
  };
  await ctx.sourceClient.send(new CreateBucketCommand({ Bucket: SRC_BUCKET }));
  return {
    ctx,
    stop: async () => {
      await profiles.cleanup();
      await pair.stop();
      cleanupShm();
    },
  };
}

function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", env: cleanEnv() });
  return (r.stdout || r.stderr || "").split("\n")[0]?.trim() ?? "";
}

function gitDescription(): string {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot(), encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], {
    cwd: repoRoot(),
    encoding: "utf8",
  });
  return `${commit.stdout.trim()}${dirty.stdout.trim() ? " + uncommitted changes in src/" : ""}`;
}

/** The machine during `runs` (load before it, and now) and the versions of everything that ran. */
export function runEnvironment(
  loadBefore: number[],
  runs: RunRecord[],
): Pick<BenchResults, "machine" | "versions"> {
  const cores = cpus().length;
  return {
    machine: {
      cpuModel: cpus()[0]?.model ?? "unknown",
      cores,
      memoryBytes: totalmem(),
      kernel: release(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAverage(),
      medianMachineBusyShare: spread(runs.map((r) => r.machineBusyShare)).median,
      medianOtherCpuShare: spread(runs.map((r) => r.otherCpuSeconds / (r.seconds * cores))).median,
      note:
        process.env.BENCH_NOTE ??
        "client, both servers and the peers share the machine's cores; other workloads may have run at the same time (see the busy and other-CPU columns)",
    },
    versions: {
      node: process.version,
      s3xsync: `${JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")).version} (${gitDescription()})`,
      minio: `${firstLine(minioBinaryPath(), ["--version"])} built from ${readFileSync(join(repoRoot(), "scripts", "minio-path.mjs"), "utf8").match(/github\.com\/minio\/minio@[^"]+/)?.[0] ?? "?"}`,
      rclone: `${firstLine(peerBinaryPath("rclone"), ["version"])} (${PEERS.rclone.module})`,
      s5cmd: PEERS.s5cmd.module,
      s3raw: "bench/s3raw (this repository), minio-go v7.0.91",
    },
  };
}
