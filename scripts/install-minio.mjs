#!/usr/bin/env node
// Builds the pinned MinIO server used by the integration tests into <repo>/.cache/bin/minio.
// Usage (from anywhere): node scripts/install-minio.mjs
// Does nothing when the cached binary exists and runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MINIO_MODULE, minioBinaryPath, minioBinDir } from "./minio-path.mjs";

function fail(message) {
  console.error(`install-minio: ${message}`);
  process.exit(1);
}

function binaryWorks(path) {
  if (!existsSync(path)) return false;
  const r = spawnSync(path, ["--version"], { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

const binary = minioBinaryPath();
if (binaryWorks(binary)) {
  console.log(`MinIO already installed: ${binary}`);
  process.exit(0);
}

const goCheck = spawnSync("go", ["version"], { encoding: "utf8" });
if (goCheck.error || goCheck.status !== 0) {
  fail("the Go toolchain ('go') is required to build MinIO for the tests but was not found on PATH");
}

console.log(
  `installing MinIO (first run only, ~3 min)... go install ${MINIO_MODULE} (${goCheck.stdout.trim()})`,
);
const binDir = minioBinDir();
mkdirSync(binDir, { recursive: true });
// Build into a private GOBIN first so an interrupted build never leaves a half-written binary behind.
const tmpBin = mkdtempSync(join(binDir, ".build-"));
const started = Date.now();
const r = spawnSync("go", ["install", MINIO_MODULE], {
  stdio: "inherit",
  env: { ...process.env, GOBIN: tmpBin },
});
const built = join(tmpBin, "minio");
let error = "";
if (r.error) error = `could not run 'go install': ${r.error.message}`;
else if (r.status !== 0) error = `'go install ${MINIO_MODULE}' failed (exit ${r.status ?? r.signal})`;
else if (!binaryWorks(built)) error = `the built binary does not run ('minio --version' failed)`;
else renameSync(built, binary);
rmSync(tmpBin, { recursive: true, force: true });
if (error) fail(error);
console.log(`MinIO installed: ${binary} (${Math.round((Date.now() - started) / 1000)} s)`);
