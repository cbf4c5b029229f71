// `npm run bench:listen`: 10,000 events at the body limit (64 KiB) POSTed to `watch --listen`
// while none can finish, then a restart that recovers them all from the journal; prints the
// worker's peak RSS in each phase. The promise is < 256 MiB: waiting events live on disk only.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeProfiles } from "../test/support/cli.js";
import { queueHeldEvents } from "../test/support/listen-load.js";
import { s3ClientFor, startPartitionPair } from "../test/support/minio.js";
import { createBucket } from "../test/support/s3-fixtures.js";

const EVENTS = Number(process.env.BENCH_LISTEN_EVENTS ?? 10_000);
const MiB = 1024 * 1024;

const servers = await startPartitionPair();
const profiles = await writeProfiles(servers.source, servers.target);
const journal = await mkdtemp(join(tmpdir(), "s3xsync-bench-journal-"));
try {
  const [sourceBucket, targetBucket] = await Promise.all([
    createBucket(s3ClientFor(servers.source), "bench-listen-src"),
    createBucket(s3ClientFor(servers.target), "bench-listen-dst"),
  ]);
  const started = Date.now();
  const load = await queueHeldEvents(
    { source: servers.source, profiles },
    [`s3://${sourceBucket}`, `s3://${targetBucket}`, "--journal", journal, ...profiles.args],
    EVENTS,
  );
  const report = {
    events: EVENTS,
    statuses: load.statuses,
    queued: load.counts,
    recovered: load.recovered,
    acceptPeakRssMiB: Math.round(load.acceptPeakRss / MiB),
    recoverPeakRssMiB: Math.round(load.recoverPeakRss / MiB),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(report));
  const worst = Math.max(load.acceptPeakRss, load.recoverPeakRss);
  console.log(`peak RSS ${Math.round(worst / MiB)} MiB with ${EVENTS} events queued (bound 256 MiB)`);
  process.exitCode = worst < 256 * MiB && load.statuses[200] === EVENTS ? 0 : 1;
} finally {
  await rm(journal, { recursive: true, force: true });
  await profiles.cleanup();
  await servers.stop();
}
