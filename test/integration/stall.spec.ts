// A connection that stops delivering mid-body, without closing, must never hang a copy (issue 12).
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { usePartitionPair } from "../support/partition-pair.js";
import { bytesOf, createBucket, incompleteUploads, MiB, putObject } from "../support/s3-fixtures.js";

const fx = usePartitionPair();
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe("a stalled connection", () => {
  it("fails the copy within the stall timeout with --retries 0, naming the key and the stall", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "stall-src");
    const targetBucket = await createBucket(fx.targetClient, "stall-dst");
    await putObject(fx.sourceClient, sourceBucket, "big.bin", bytesOf(12 * MiB));
    proxy = await startFaultProxy({
      upstream: fx.source.endpoint,
      rates: { stall: 1 },
      stallMs: 600_000,
      eligible: ({ operation }) => operation === "GetObject",
    });
    const started = Date.now();
    const result = await runCli(
      [
        "copy",
        `s3://${sourceBucket}/big.bin`,
        `s3://${targetBucket}/big.bin`,
        ...fx.profiles.args,
        "--source-endpoint",
        proxy.endpoint,
        "--stall-timeout",
        "3",
        "--retries",
        "0",
        "--part-size",
        "5MiB",
      ],
      fx.profiles.env,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /failed: s3:\/\/[^ ]+\/big\.bin -> .*source stalled: it sent no bytes for 3 s/,
    );
    expect(seconds).toBeLessThan(3 + 10);
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });
});
