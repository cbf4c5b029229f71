// `npm start`, end to end: the demo script on two local MinIO servers with real bucket
// notifications to `s3xsync watch --listen`, asserting its final verification.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../support/cli.js";

const DEMO = resolve(import.meta.dirname, "../../scripts/demo.mjs");

describe("npm start (the demo)", () => {
  it("syncs the sample set through MinIO's notifications and proves the target equal", {
    timeout: 240_000,
  }, async () => {
    const child = spawn(process.execPath, [DEMO], { stdio: ["ignore", "pipe", "pipe"] });
    const result = await collect(child);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(output).toContain("in sync: 6 objects");
    expect(output).toContain("demo: the target matches the source");
    const rows = result.stdout
      .split("\n")
      .filter((line) => /^ {4}\S.* (equal|DIFFERENT|missing) /.test(line));
    expect(rows.length, output).toBe(6);
    for (const row of rows) expect(row).toMatch(/ (etag|md5|checksum) +equal /);
    expect(result.stdout).toMatch(/tmp\/scratch\.txt +- +deleted/);
    for (const key of ["报告/年度 总结.txt", "photos/summer trip/beach 1.jpg", "video/launch.mp4"]) {
      expect(result.stdout).toContain(key);
    }
  });
});
