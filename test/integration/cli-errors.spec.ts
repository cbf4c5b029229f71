// Bad input to `s3xsync`: each mistake gets one line on stderr that names what and where, the
// documented exit code, no stack trace, no secret, and nothing written on the target.
import { appendFile } from "node:fs/promises";
import { createServer } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../support/cli.js";
import { usePartitionPair } from "../support/partition-pair.js";
import {
  bytesOf,
  createBucket,
  keyOfLength,
  putObject,
  snapshotServer,
  stderrLines,
} from "../support/s3-fixtures.js";

/** A secret key the tests hand to the CLI that matches nothing: it must not be echoed either. */
const WRONG_SECRET = "not-the-right-secret-key-7731";

const fx = usePartitionPair();
let sourceBucket: string;
let targetBucket: string;
let closedPort: number;

/** A port on 127.0.0.1 that nothing listens on: bound once, then released. */
async function findClosedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  // Extra profiles: the source's keys at the target, and the target's key id with a wrong secret.
  const config = fx.profiles.env.AWS_CONFIG_FILE ?? "";
  const credentials = fx.profiles.env.AWS_SHARED_CREDENTIALS_FILE ?? "";
  await appendFile(
    config,
    `[profile source-keys-at-target]\nregion = ${fx.target.region}\nendpoint_url = ${fx.target.endpoint}\n` +
      `[profile target-keys-at-source]\nregion = ${fx.source.region}\nendpoint_url = ${fx.source.endpoint}\n` +
      `[profile wrong-secret]\nregion = ${fx.target.region}\nendpoint_url = ${fx.target.endpoint}\n`,
  );
  await appendFile(
    credentials,
    `[source-keys-at-target]\naws_access_key_id = ${fx.source.accessKeyId}\naws_secret_access_key = ${fx.source.secretAccessKey}\n` +
      `[target-keys-at-source]\naws_access_key_id = ${fx.target.accessKeyId}\naws_secret_access_key = ${fx.target.secretAccessKey}\n` +
      `[wrong-secret]\naws_access_key_id = ${fx.target.accessKeyId}\naws_secret_access_key = ${WRONG_SECRET}\n`,
  );
  sourceBucket = await createBucket(fx.sourceClient, "errors-src");
  targetBucket = await createBucket(fx.targetClient, "errors-dst");
  await putObject(fx.sourceClient, sourceBucket, "present.txt", bytesOf(100));
  await putObject(fx.sourceClient, sourceBucket, "dir/present.txt", bytesOf(100));
  closedPort = await findClosedPort();
});

const SOURCE = () => `s3://${sourceBucket}/present.txt`;
const TARGET = () => `s3://${targetBucket}`;

/** The CLI's default options for these tests: both profiles, few retries. */
function withProfiles(args: string[], overrides: { source?: string; target?: string } = {}): string[] {
  return [
    ...args,
    "--source-profile",
    overrides.source ?? "source",
    "--target-profile",
    overrides.target ?? "target",
    "--retries",
    "0",
  ];
}

/**
 * Runs the CLI and checks what every bad input must give: the exit code, one `s3xsync:` line on
 * stderr matching `mentions`, no stack trace, no secret anywhere, and no change on the target
 * server (objects, buckets, incomplete multipart uploads) or on the source.
 */
async function expectError(args: string[], exitCode: 1 | 2, mentions: RegExp[]): Promise<CliResult> {
  const before = {
    source: await snapshotServer(fx.sourceClient),
    target: await snapshotServer(fx.targetClient),
  };
  const result = await runCli(args, fx.profiles.env);
  const lines = stderrLines(result.stderr);
  expect(lines, `stderr: ${result.stderr}`).toHaveLength(1);
  const line = lines[0] ?? "";
  expect(line).toMatch(/^s3xsync: /);
  for (const mention of mentions) expect(line).toMatch(mention);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/\.(ts|js|mjs):\d+/);
  expect(result.code).toBe(exitCode);
  if (exitCode === 2) expect(result.stdout).toBe("");
  for (const secret of [fx.source.secretAccessKey, fx.target.secretAccessKey, WRONG_SECRET]) {
    expect(result.stdout + result.stderr).not.toContain(secret);
  }
  expect({
    source: await snapshotServer(fx.sourceClient),
    target: await snapshotServer(fx.targetClient),
  }).toEqual(before);
  return result;
}

describe("usage errors (exit 2)", () => {
  it("a malformed s3:// URL names the argument and the text", async () => {
    await expectError(withProfiles(["copy", "my-bucket/key.txt", TARGET()]), 2, [
      /source "my-bucket\/key\.txt"/,
      /s3:\/\//,
    ]);
    await expectError(withProfiles(["sync", SOURCE(), "s3://Not_A_Bucket/x"]), 2, [
      /target "s3:\/\/Not_A_Bucket\/x"/,
      /bucket name/,
    ]);
    await expectError(withProfiles(["verify", "s3:/half-a-url", TARGET()]), 2, [/source "s3:\/half-a-url"/]);
    await expectError(withProfiles(["copy", `s3://${sourceBucket}/dir/`, TARGET()]), 2, [
      new RegExp(`source s3://${sourceBucket}/dir/`),
    ]);
  });

  it("a bad --part-size or --concurrency names the option and the value", async () => {
    for (const size of ["1MiB", "lots", "6GiB", "-5MiB"]) {
      await expectError(withProfiles(["copy", SOURCE(), TARGET(), "--part-size", size]), 2, [
        new RegExp(`--part-size "${size}"`),
      ]);
    }
    for (const concurrency of ["0", "abc", "1.5", "100000"]) {
      await expectError(withProfiles(["sync", SOURCE(), TARGET(), "--concurrency", concurrency]), 2, [
        new RegExp(`--concurrency "${concurrency.replace(".", "\\.")}"`),
      ]);
    }
  });

  it("every integer flag takes decimal digits only: 0x8, 1e1, ' 8', +8, 8.0 are refused", async () => {
    // Every spelling on one flag, one spelling on each of the others: they share one parser
    // (src/cli/parse-integer.spec.ts tries the rest).
    const cases: [string, string[], string[]][] = [
      ["--concurrency", ["copy", SOURCE(), TARGET()], ["0x8", "1e1", " 8", "+8", "8.0"]],
      ["--retries", ["sync", SOURCE(), TARGET()], ["1e1"]],
      ["--stall-timeout", ["verify", SOURCE(), TARGET()], ["0x8"]],
      ["--max-attempts", ["watch", `s3://${sourceBucket}`, TARGET(), "--listen", "127.0.0.1:0"], ["+8"]],
    ];
    for (const [flag, command, texts] of cases) {
      for (const text of texts) {
        const escaped = text.replace(/[.+]/g, "\\$&");
        // After withProfiles' own --retries 0: the last one given counts.
        await expectError([...withProfiles(command), flag, text], 2, [
          new RegExp(
            `^s3xsync: ${flag} "${escaped}" must be a whole number from \\d+ to \\d+ \\(decimal digits only\\)$`,
          ),
        ]);
      }
    }
  });

  it("an unknown profile or a malformed endpoint is named", async () => {
    await expectError(withProfiles(["copy", SOURCE(), TARGET()], { source: "no-such-profile" }), 2, [
      /source/,
      /"no-such-profile"/,
    ]);
    await expectError(withProfiles(["copy", SOURCE(), TARGET(), "--target-endpoint", "not a url"]), 2, [
      /--target-endpoint "not a url"/,
    ]);
  });
});

describe("configuration and access errors before any work (exit 2)", () => {
  it("a missing source bucket names the bucket and the endpoint", async () => {
    await expectError(withProfiles(["copy", "s3://no-such-source-bucket/a.txt", TARGET(), "--json"]), 2, [
      /source s3:\/\/no-such-source-bucket/,
      new RegExp(fx.source.endpoint.replace(/\./g, "\\.")),
      /does not exist/,
    ]);
    await expectError(withProfiles(["sync", "s3://no-such-source-bucket/pre", TARGET()]), 2, [
      /source s3:\/\/no-such-source-bucket/,
    ]);
  });

  it("a missing target bucket names the bucket and the endpoint, and creates nothing", async () => {
    await expectError(withProfiles(["copy", SOURCE(), "s3://no-such-target-bucket", "--json"]), 2, [
      /target s3:\/\/no-such-target-bucket/,
      new RegExp(fx.target.endpoint.replace(/\./g, "\\.")),
      /does not exist/,
    ]);
    await expectError(withProfiles(["sync", `s3://${sourceBucket}`, "s3://no-such-target-bucket/pre"]), 2, [
      /target s3:\/\/no-such-target-bucket/,
    ]);
  });

  it("wrong target credentials: a clear error naming the target, nothing written", async () => {
    for (const command of ["copy", "sync", "verify"]) {
      await expectError(
        withProfiles([command, command === "copy" ? SOURCE() : `s3://${sourceBucket}`, TARGET(), "--json"], {
          target: "source-keys-at-target",
        }),
        2,
        [new RegExp(`target s3://${targetBucket}`), /access denied|credentials/],
      );
    }
    await expectError(withProfiles(["copy", SOURCE(), TARGET()], { target: "wrong-secret" }), 2, [
      new RegExp(`target s3://${targetBucket}`),
      /access denied|credentials|secret/,
    ]);
  });

  it("wrong source credentials name the source", async () => {
    await expectError(withProfiles(["copy", SOURCE(), TARGET()], { source: "target-keys-at-source" }), 2, [
      new RegExp(`source s3://${sourceBucket} at ${fx.source.endpoint.replace(/\./g, "\\.")}`),
      /access denied|credentials/,
    ]);
  });

  it("an unreachable endpoint names the side and the endpoint", async () => {
    const closed = `http://127.0.0.1:${closedPort}`;
    await expectError(withProfiles(["copy", SOURCE(), TARGET(), "--target-endpoint", closed]), 2, [
      new RegExp(`target s3://${targetBucket} at ${closed.replace(/\./g, "\\.")}`),
      /unreachable/,
    ]);
    await expectError(
      withProfiles(["sync", `s3://${sourceBucket}`, TARGET(), "--source-endpoint", closed]),
      2,
      [new RegExp(`source s3://${sourceBucket} at ${closed.replace(/\./g, "\\.")}`), /unreachable/],
    );
  });
});

describe("object failures (exit 1)", () => {
  it("a source key that does not exist: one failures entry and one stderr line", async () => {
    const result = await expectError(
      withProfiles(["copy", `s3://${sourceBucket}/absent/файл 文件.txt`, TARGET(), "--json"]),
      1,
      [
        new RegExp(
          `^s3xsync: failed: s3://${sourceBucket}/absent/файл 文件\\.txt -> s3://${targetBucket}/absent/файл 文件\\.txt: `,
        ),
        /source object does not exist$/,
      ],
    );
    const summary = JSON.parse(result.stdout) as { failed: number; copied: number; failures: unknown[] };
    expect(summary).toMatchObject({ copied: 0, failed: 1, bytes: 0 });
    expect(summary.failures).toEqual([
      { key: "absent/файл 文件.txt", error: "source object does not exist" },
    ]);

    // Without --json: the summary on stdout, the failure on stderr.
    const text = await expectError(withProfiles(["copy", `s3://${sourceBucket}/absent.txt`, TARGET()]), 1, [
      /absent\.txt/,
      /does not exist/,
    ]);
    expect(text.stdout).toMatch(/^copied 0, skipped 0, deleted 0, failed 1;/);
  });

  it("sync: an object the target refuses (key over 1,024 bytes there) is one failures entry", async () => {
    const longKey = keyOfLength(1000, "L/");
    await putObject(fx.sourceClient, sourceBucket, longKey, bytesOf(10));
    const targetPrefix = "a-target-prefix-long-enough-to-push-the-key-past-1024-bytes";
    const result = await expectError(
      withProfiles(["sync", `s3://${sourceBucket}/L`, `s3://${targetBucket}/${targetPrefix}`, "--json"]),
      1,
      [
        /^s3xsync: failed: L\/a+\//,
        new RegExp(`\\(sync s3://${sourceBucket}/L -> s3://${targetBucket}/${targetPrefix}\\)$`),
      ],
    );
    const summary = JSON.parse(result.stdout) as { failures: { key: string; error: string }[] };
    expect(summary).toMatchObject({ copied: 0, failed: 1, bytes: 0 });
    expect(summary.failures.map((f) => f.key)).toEqual([longKey]);
  });
});
