// The two-partition fixture of an integration test file: a MinIO pair (source plays China, target
// plays Global) started before the file's tests, with clients and CLI profiles for both sides, the
// buckets the file names, and a moto server beside them where the file asks; all removed after.
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import { type CliProfiles, writeProfiles } from "./cli.js";
import { type S3Server, s3ClientFor, startPartitionPair } from "./minio.js";
import { type MotoServer, startMoto } from "./moto.js";

export interface PartitionPair {
  source: S3Server;
  target: S3Server;
  sourceClient: S3Client;
  targetClient: S3Client;
  /** Profiles "source" and "target" for the CLI. */
  profiles: CliProfiles;
}

export interface PartitionPairOptions {
  /** Buckets created on the source before the tests. */
  sourceBuckets?: readonly string[];
  /** Buckets created on the target before the tests. */
  targetBuckets?: readonly string[];
  /** Also start moto (SQS, SNS, Secrets Manager, EventBridge), at the same time as the pair. */
  moto?: boolean;
}

/**
 * Registers the fixture's beforeAll and afterAll in the calling scope and returns the object
 * beforeAll fills in: read its fields inside hooks and tests, not at module level.
 */
export function usePartitionPair(
  options: PartitionPairOptions & { moto: true },
): PartitionPair & { moto: MotoServer };
export function usePartitionPair(options?: PartitionPairOptions): PartitionPair;
export function usePartitionPair(options: PartitionPairOptions = {}): PartitionPair & { moto?: MotoServer } {
  const fixture = {} as PartitionPair & { moto?: MotoServer };
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const [pair, moto] = await Promise.allSettled([
      startPartitionPair(),
      options.moto ? startMoto() : Promise.resolve(undefined),
    ]);
    if (pair.status === "fulfilled") stops.push(pair.value.stop);
    if (moto.status === "fulfilled" && moto.value) stops.push(moto.value.stop);
    if (pair.status === "rejected") throw pair.reason;
    if (moto.status === "rejected") throw moto.reason;
    Object.assign(fixture, {
      source: pair.value.source,
      target: pair.value.target,
      sourceClient: s3ClientFor(pair.value.source),
      targetClient: s3ClientFor(pair.value.target),
      profiles: await writeProfiles(pair.value.source, pair.value.target),
      ...(moto.value ? { moto: moto.value } : {}),
    });
    stops.push(fixture.profiles.cleanup);
    const create = (client: S3Client, buckets: readonly string[] = []) =>
      buckets.map((bucket) => client.send(new CreateBucketCommand({ Bucket: bucket })));
    await Promise.all([
      ...create(fixture.sourceClient, options.sourceBuckets),
      ...create(fixture.targetClient, options.targetBuckets),
    ]);
  });
  afterAll(async () => {
    fixture.sourceClient?.destroy();
    fixture.targetClient?.destroy();
    await Promise.all(stops.map((stop) => stop()));
  });
  return fixture;
}
