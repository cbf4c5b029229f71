import { existsSync } from "node:fs";
import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { s3ClientFor, startPartitionPair } from "./minio.js";
import { usePartitionPair } from "./partition-pair.js";

describe("MinIO partition pair (test support)", () => {
  const pair = usePartitionPair();

  it("runs two independent servers, one per partition", async () => {
    const { source, target } = pair;
    expect(source.region).toBe("cn-north-1");
    expect(target.region).toBe("us-east-1");
    expect(source.endpoint).not.toBe(target.endpoint);
    expect(source.accessKeyId).not.toBe(target.accessKeyId);

    await pair.sourceClient.send(new CreateBucketCommand({ Bucket: "cn-bucket" }));
    await pair.targetClient.send(new CreateBucketCommand({ Bucket: "global-bucket" }));

    const sourceBuckets = await pair.sourceClient.send(new ListBucketsCommand({}));
    const targetBuckets = await pair.targetClient.send(new ListBucketsCommand({}));
    expect(sourceBuckets.Buckets?.map((b) => b.Name)).toEqual(["cn-bucket"]);
    expect(targetBuckets.Buckets?.map((b) => b.Name)).toEqual(["global-bucket"]);
  });

  it("rejects the source partition's credentials at the target", async () => {
    const { source, target } = pair;
    const wrongCredentials = s3ClientFor({
      ...target,
      accessKeyId: source.accessKeyId,
      secretAccessKey: source.secretAccessKey,
    });
    const error = await wrongCredentials.send(new ListBucketsCommand({})).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe("InvalidAccessKeyId");
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(403);

    // HEAD has no error body: only the status tells.
    const head = await wrongCredentials.send(new HeadBucketCommand({ Bucket: "global-bucket" })).then(
      () => undefined,
      (err: unknown) => err as S3ServiceException,
    );
    expect(head?.$metadata.httpStatusCode).toBe(403);
  });

  it("removes the data directories on stop", async () => {
    const { source, target } = await startPartitionPair();
    expect(existsSync(source.dataDir)).toBe(true);
    await source.stop();
    await target.stop();
    await source.stop(); // idempotent
    expect(existsSync(source.dataDir)).toBe(false);
    expect(existsSync(target.dataDir)).toBe(false);
  });
});
