// Copies reported in sync must be in sync: the promises a hostile overwrite, a server that ignores
// ?partNumber=, and a server whose listings never end try to break (issue 11).
import { describe, expect, it } from "vitest";
import { type CliResult, runCli, type TransferJson, usePartitionPair } from "../support/cli.js";
import { bytesOf, createBucket, getBytes, head, md5Hex, putObject } from "../support/s3-fixtures.js";

const fx = usePartitionPair();

function cli(args: string[]): Promise<CliResult> {
  return runCli([...args, ...fx.profiles.args, "--part-size", "5MiB"], fx.profiles.env);
}

async function json<T>(args: string[]): Promise<{ code: number | null; summary: T }> {
  const result = await cli([...args, "--json"]);
  return { code: result.code, summary: JSON.parse(result.stdout) as T };
}

describe("a target overwritten behind the tool's back", () => {
  it("is different when its ETag is an MD5 of other bytes, even with the source's marker kept", async () => {
    const sourceBucket = await createBucket(fx.sourceClient, "foreign-src");
    const targetBucket = await createBucket(fx.targetClient, "foreign-dst");
    const original = bytesOf(4096);
    await putObject(fx.sourceClient, sourceBucket, "docs/report.pdf", original, {
      ContentType: "application/pdf",
    });
    await putObject(fx.sourceClient, sourceBucket, "docs/same.txt", bytesOf(10));
    const src = `s3://${sourceBucket}/docs`;
    const dst = `s3://${targetBucket}/docs`;
    expect((await json<TransferJson>(["sync", src, dst])).summary).toMatchObject({ copied: 2, failed: 0 });

    // Same size, other bytes, the copy's metadata (our marker included) kept as it was.
    const copied = await head(fx.targetClient, targetBucket, "docs/report.pdf");
    const foreign = Buffer.from(original);
    foreign[0] = (foreign[0] ?? 0) ^ 0xff;
    await putObject(fx.targetClient, targetBucket, "docs/report.pdf", foreign, {
      ContentType: copied.ContentType,
      Metadata: copied.Metadata,
    });

    const verify = await json<{ inSync: boolean; different: string[]; same: number }>(["verify", src, dst]);
    expect(verify.code).toBe(1);
    expect(verify.summary).toMatchObject({ inSync: false, different: ["docs/report.pdf"], same: 1 });

    const sync = await json<TransferJson>(["sync", src, dst]);
    expect(sync.summary).toMatchObject({ copied: 1, skipped: 1, failed: 0 });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "docs/report.pdf"))).toBe(md5Hex(original));
    expect((await json(["verify", src, dst])).code).toBe(0);

    // copy (one HEAD of each side decides) recopies it too.
    await putObject(fx.targetClient, targetBucket, "docs/report.pdf", foreign, { Metadata: copied.Metadata });
    const copy = await json<TransferJson>(["copy", `${src}/report.pdf`, `${dst}/report.pdf`]);
    expect(copy.summary).toMatchObject({ copied: 1, failed: 0 });
    expect(md5Hex(await getBytes(fx.targetClient, targetBucket, "docs/report.pdf"))).toBe(md5Hex(original));
  });
});
