// A connection that stops delivering mid-body, without closing, must never hang a copy (issue 12):
// the link model stalls the source's or the target's connections for good after some bytes. One
// cut mid-body costs no more than the bytes it lost.
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type LinkModel, type LinkProfile, startLinkModel } from "../support/link-model.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  getBytes,
  incompleteUploads,
  MiB,
  md5Hex,
  putObject,
} from "../support/s3-fixtures.js";

const fx = usePartitionPair();
const links: LinkModel[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((link) => link.close()));
});

/** Every connection stalls for good once 1 MB has gone the given way (down: to the client). */
const stallFor = (way: "up" | "down"): LinkProfile => ({
  rttMs: 20,
  [way]: { stalls: { afterBytes: 1_000_000, durationMs: "forever" } },
});

async function link(upstream: string, profile: LinkProfile): Promise<LinkModel> {
  const model = await startLinkModel({ upstream, profile });
  links.push(model);
  return model;
}

async function seed(label: string, size: number) {
  const sourceBucket = await createBucket(fx.sourceClient, `${label}-src`);
  const targetBucket = await createBucket(fx.targetClient, `${label}-dst`);
  const body = bytesOf(size);
  await putObject(fx.sourceClient, sourceBucket, "big.bin", body);
  return { sourceBucket, targetBucket, body };
}

function copy(sourceBucket: string, targetBucket: string, extra: string[]) {
  return runCli(
    [
      "copy",
      `s3://${sourceBucket}/big.bin`,
      `s3://${targetBucket}/big.bin`,
      ...fx.profiles.args,
      "--part-size",
      "5MiB",
      ...extra,
    ],
    fx.profiles.env,
  );
}

describe("a stalled connection", () => {
  for (const side of ["source", "target"] as const) {
    it(`on the ${side} fails the copy within the stall timeout with --retries 0, naming the key and the stall`, async () => {
      const { sourceBucket, targetBucket } = await seed(`stall-${side}`, 12 * MiB);
      const model =
        side === "source"
          ? await link(fx.source.endpoint, stallFor("down"))
          : await link(fx.target.endpoint, stallFor("up"));
      const started = Date.now();
      const result = await copy(sourceBucket, targetBucket, [
        `--${side}-endpoint`,
        model.endpoint,
        "--stall-timeout",
        "3",
        "--retries",
        "0",
      ]);
      const seconds = (Date.now() - started) / 1000;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`failed: s3://[^ ]+/big\\.bin -> .*${side} stalled`));
      expect(seconds).toBeLessThan(3 + 10);
      expect(model.stats().stalls).toBeGreaterThan(0);
      expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
    });
  }

  it("at the default retries, a copy whose source and target stall once completes with identical bytes", async () => {
    const { sourceBucket, targetBucket, body } = await seed("stall-once", 12 * MiB);
    const [sourceLink, targetLink] = await Promise.all([
      link(fx.source.endpoint, stallFor("down")),
      link(fx.target.endpoint, stallFor("up")),
    ]);
    // Once both have stalled a connection, the links heal: the retries get through.
    const heal = setInterval(() => {
      for (const model of [sourceLink, targetLink])
        if (model.stats().stalls > 0) model.setProfile({ rttMs: 20 });
    }, 100);
    try {
      const result = await copy(sourceBucket, targetBucket, [
        "--source-endpoint",
        sourceLink.endpoint,
        "--target-endpoint",
        targetLink.endpoint,
        "--stall-timeout",
        "3",
        "--json",
      ]);
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toMatchObject({ copied: 1, failed: 0 });
    } finally {
      clearInterval(heal);
    }
    expect(sourceLink.stats().stalls + targetLink.stats().stalls).toBeGreaterThan(1);
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "big.bin"))).toBe(md5Hex(body));
    expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
  });

  it("in a listing's answer is sent again on another connection, not waited on until the stall timeout", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "stall-list-src");
    const targetBucket = await createBucket(fx.targetClient, "stall-list-dst");
    const keys = Array.from({ length: 30 }, (_, i) => `listed/object-${String(i).padStart(2, "0")}.bin`);
    await Promise.all(keys.map((key) => putObject(fx.sourceClient, sourceBucket, key, bytesOf(1024))));
    // Answers stall past 2,000 bytes of a connection: the listing's (about 250 bytes per key), not
    // the preflight's HEAD (a few hundred) beside it. Once one has, the link heals, for the
    // connections open by then too.
    const sourceLink = await link(fx.source.endpoint, {
      rttMs: 20,
      down: { stalls: { afterBytes: 2_000, durationMs: "forever" } },
    });
    const heal = setInterval(() => {
      if (sourceLink.stats().stalls > 0) sourceLink.setProfile({ rttMs: 20 });
    }, 50);
    const stallTimeout = 100;
    const started = Date.now();
    try {
      const result = await runCli(
        [
          "sync",
          `s3://${sourceBucket}/listed/`,
          `s3://${targetBucket}/listed/`,
          ...fx.profiles.args,
          "--source-endpoint",
          sourceLink.endpoint,
          "--stall-timeout",
          String(stallTimeout),
          "--json",
        ],
        fx.profiles.env,
      );
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toMatchObject({ copied: keys.length, failed: 0 });
    } finally {
      clearInterval(heal);
    }
    expect(sourceLink.stats().stalls).toBe(1);
    expect((Date.now() - started) / 1000).toBeLessThan(stallTimeout);
  }, 150_000);
});

describe("a source connection cut mid-body", () => {
  for (const [shape, size] of [
    ["in parts", 12 * MiB],
    ["in one piece", 4.5 * MiB],
  ] as const) {
    it(`is read on from the byte reached: a copy ${shape} needs no retry`, async () => {
      const { sourceBucket, targetBucket, body } = await seed(`cut-${size}`, size);
      // A cut every 1.5-4.5 MB through the link, the first within the object's bytes. One transfer
      // at a time, paced as on a WAN (a cut loses what is in flight, 200 KB here, where loopback's
      // socket buffers lose MBs), so each read moves more than a MiB between two cuts.
      const model = await link(fx.source.endpoint, {
        rttMs: 20,
        connectionRate: 10_000_000,
        resetEveryBytes: 3_000_000,
      });
      const result = await copy(sourceBucket, targetBucket, [
        "--source-endpoint",
        model.endpoint,
        "--concurrency",
        "1",
        "--retries",
        "0",
        "--json",
      ]);
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toMatchObject({ copied: 1, failed: 0 });
      const { resets, bytesDown } = model.stats();
      expect(resets).toBeGreaterThan(0);
      // Each byte came once, but for the requests' own (6 KB for 4 cuts of 12 MiB, measured).
      expect(bytesDown).toBeLessThan(body.length + 256 * 1024);
      expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "big.bin"))).toBe(md5Hex(body));
      expect(await incompleteUploads(fx.targetClient, targetBucket)).toEqual([]);
    });
  }
});
