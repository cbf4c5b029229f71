// Ctrl-C (SIGINT) and SIGTERM during `copy` and `sync`: the CLI starts no new transfer, lets those in
// flight finish, prints what finished and what a rerun resumes (in --json too) and exits 128 +
// the signal's number; the rerun completes. A slow link to the target keeps the copies in flight.
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, collect, runCli, spawnCli, type TransferJson } from "../support/cli.js";
import { partsOf, uploadsOf } from "../support/generated-objects.js";
import { type LinkModel, startLinkModel } from "../support/link-model.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  getBytes,
  incompleteUploads,
  listKeys,
  MiB,
  md5Hex,
  putObject,
} from "../support/s3-fixtures.js";

const fx = usePartitionPair();
const links: LinkModel[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((link) => link.close()));
});

/** A link to the target that carries about `rate` bytes/s per connection. */
async function slowTarget(rate: number): Promise<LinkModel> {
  const link = await startLinkModel({
    upstream: fx.target.endpoint,
    profile: { rttMs: 10, connectionRate: rate },
  });
  links.push(link);
  return link;
}

/** Polls (every 50 ms, for at most 30 s) until `ready` holds. */
async function waitFor(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the CLI, sends `signal` once `ready` holds, and collects what it printed. */
async function interrupt(
  args: string[],
  signal: NodeJS.Signals,
  ready: () => Promise<boolean>,
): Promise<CliResult> {
  const child = spawnCli(args, fx.profiles.env);
  const result = collect(child);
  await waitFor(`the moment to send ${signal}`, ready);
  child.kill(signal);
  return result;
}

describe("interrupted copy and sync", () => {
  it("copy: SIGINT pauses a multipart copy between parts, exits 130, and the rerun resumes it", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "int-copy-src");
    const targetBucket = await createBucket(fx.targetClient, "int-copy-dst");
    // Six parts of 5 MiB, two in flight at 4 MB/s each: when the first is stored, three have not started.
    const body = bytesOf(30 * MiB);
    await putObject(fx.sourceClient, sourceBucket, "big.bin", body);
    const link = await slowTarget(4_000_000);
    const src = `s3://${sourceBucket}/big.bin`;
    const dst = `s3://${targetBucket}/big.bin`;
    const args = ["copy", src, dst, ...fx.profiles.args, "--part-size", "5MiB", "--concurrency", "2"];

    const stopped = await interrupt([...args, "--target-endpoint", link.endpoint], "SIGINT", async () => {
      const [uploadId] = await uploadsOf(fx.targetClient, targetBucket, "big.bin");
      return (
        uploadId !== undefined && (await partsOf(fx.targetClient, targetBucket, "big.bin", uploadId)).size > 0
      );
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(
      /^s3xsync: SIGINT: starting no new transfers; those in flight finish first/,
    );
    expect(stopped.stderr).not.toMatch(/^\s+at /m);
    const lines = stopped.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^paused: ${src} -> ${dst}: [\\d.]+ MiB of 30\\.0 MiB sent in this run; a rerun resumes it`),
    );
    expect(lines[1]).toMatch(
      /^interrupted by SIGINT: copied 0, skipped 0, deleted 0, failed 0; .*run the same command again/,
    );
    // The one upload left is the one the rerun resumes; nothing was completed.
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toHaveLength(1);
    expect(await listKeys(fx.targetClient, targetBucket)).toEqual([]);

    const rerun = await runCli([...args, "--json"], fx.profiles.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout) as TransferJson;
    expect(summary).toMatchObject({ copied: 1, failed: 0 });
    expect(summary).not.toHaveProperty("interrupted");
    // Resumed: the parts stored before the stop are not sent again.
    expect(summary.bytes).toBeGreaterThan(0);
    expect(summary.bytes).toBeLessThanOrEqual(25 * MiB);
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "big.bin"))).toBe(md5Hex(body));
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });

  it("sync --json: SIGTERM stops starting objects, exits 143 with the summary, and the rerun finishes", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "int-sync-src");
    const targetBucket = await createBucket(fx.targetClient, "int-sync-dst");
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) bodies.set(`data/${String(i).padStart(2, "0")}.bin`, bytesOf(MiB + i));
    for (const [key, body] of bodies) await putObject(fx.sourceClient, sourceBucket, key, body);
    // One part slot: at most four objects of one PUT in flight, each about a second at 1 MB/s.
    const link = await slowTarget(1_000_000);
    const args = ["sync", `s3://${sourceBucket}/data`, `s3://${targetBucket}/data`, ...fx.profiles.args];

    const stopped = await interrupt(
      [...args, "--json", "--concurrency", "1", "--target-endpoint", link.endpoint],
      "SIGTERM",
      async () => (await listKeys(fx.targetClient, targetBucket)).length > 0,
    );
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/^s3xsync: SIGTERM: starting no new transfers/);
    const summary = JSON.parse(stopped.stdout) as TransferJson & { interrupted: string; paused: unknown[] };
    expect(summary).toMatchObject({ interrupted: "SIGTERM", paused: [], failed: 0, failures: [] });
    expect(summary.copied).toBeGreaterThan(0);
    expect(summary.copied).toBeLessThan(bodies.size);
    const copiedKeys = await listKeys(fx.targetClient, targetBucket);
    expect(copiedKeys).toHaveLength(summary.copied);

    const rerun = await runCli([...args, "--json"], fx.profiles.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      copied: bodies.size - summary.copied,
      skipped: summary.copied,
      failed: 0,
    });
    for (const [key, body] of bodies) {
      expect(md5Hex(await getBytes(fx.targetClient, targetBucket, key)), key).toBe(md5Hex(body));
    }
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });
});
