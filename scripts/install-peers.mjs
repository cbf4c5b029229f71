#!/usr/bin/env node
// Builds the pinned peer tools of the benchmarks (rclone, s5cmd; see scripts/peer-paths.mjs) into
// <repo>/.cache/bin with `go install`, the way scripts/install-minio.mjs builds MinIO.
// Usage (from anywhere): node scripts/install-peers.mjs [rclone|s5cmd ...]   (default: all)
// Does nothing for a tool whose cached binary exists and runs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { minioBinDir, repoRoot } from "./minio-path.mjs";
import { LOCAL_TOOLS, PEERS, peerBinaryPath } from "./peer-paths.mjs";

function fail(message) {
  console.error(`install-peers: ${message}`);
  process.exit(1);
}

function binaryWorks(path, versionArgs) {
  if (!existsSync(path)) return false;
  const r = spawnSync(path, versionArgs, { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

const known = [...Object.keys(PEERS), ...Object.keys(LOCAL_TOOLS)];
const wanted = process.argv.slice(2);
for (const name of wanted) if (!known.includes(name)) fail(`unknown tool "${name}" (known: ${known})`);
const names = (wanted.length > 0 ? wanted : known).filter((name) => name in PEERS);
const locals = (wanted.length > 0 ? wanted : known).filter((name) => name in LOCAL_TOOLS);

/** `go mod download` the pinned version, then `go build` its main package in a writable copy. */
function buildFromDownload(module, outDir, name) {
  const download = spawnSync("go", ["mod", "download", "-json", module], { encoding: "utf8" });
  if (download.status !== 0) return `'go mod download ${module}' failed: ${download.stderr.trim()}`;
  const { Dir: dir } = JSON.parse(download.stdout);
  const work = mkdtempSync(join(outDir, "src-"));
  cpSync(dir, work, { recursive: true });
  // The module cache is read-only; the copy must be writable for the build.
  spawnSync("chmod", ["-R", "u+w", work]);
  // Module zips leave vendor/ out: fetch the dependencies go.sum pins from the proxy.
  rmSync(join(work, "vendor"), { recursive: true, force: true });
  const r = spawnSync("go", ["build", "-mod=mod", "-o", join(outDir, name), "."], {
    cwd: work,
    stdio: "inherit",
    env: { ...process.env, CGO_ENABLED: "0" },
  });
  rmSync(work, { recursive: true, force: true });
  if (r.error) return `could not run 'go build': ${r.error.message}`;
  if (r.status !== 0) return `'go build' of ${module} failed (exit ${r.status ?? r.signal})`;
  return "";
}

let goVersion;
for (const name of names) {
  const { module, versionArgs } = PEERS[name];
  const binary = peerBinaryPath(name);
  if (binaryWorks(binary, versionArgs)) {
    console.log(`${name} already installed: ${binary}`);
    continue;
  }
  if (goVersion === undefined) {
    const goCheck = spawnSync("go", ["version"], { encoding: "utf8" });
    if (goCheck.error || goCheck.status !== 0) {
      fail(
        `the Go toolchain ('go') is required to build ${name} for the benchmarks but was not found on PATH`,
      );
    }
    goVersion = goCheck.stdout.trim();
  }
  console.log(`installing ${name} (first run only, a few minutes)... go install ${module} (${goVersion})`);
  const binDir = minioBinDir();
  mkdirSync(binDir, { recursive: true });
  // Build into a private GOBIN first so an interrupted build never leaves a half-written binary behind.
  const tmpBin = mkdtempSync(join(binDir, ".build-"));
  const started = Date.now();
  // The environment's AWS_CA_BUNDLE and the like mean nothing to the build; CGO off gives static binaries.
  const r = spawnSync("go", ["install", module], {
    stdio: "inherit",
    env: { ...process.env, GOBIN: tmpBin, CGO_ENABLED: "0" },
  });
  const built = join(tmpBin, name);
  let error = "";
  if (r.error) error = `could not run 'go install': ${r.error.message}`;
  else if (r.status !== 0) {
    // `go install m@v` also reads the module's version list (for deprecation notices), which the
    // proxy refuses for some modules (s5cmd: 403) while it serves the pinned version itself.
    console.log(`'go install' failed; building ${module} from its downloaded source instead`);
    error = buildFromDownload(module, tmpBin, name);
  }
  if (!error && !binaryWorks(built, versionArgs)) error = `the built ${name} does not run`;
  if (!error) renameSync(built, binary);
  rmSync(tmpBin, { recursive: true, force: true });
  if (error) fail(error);
  console.log(`${name} installed: ${binary} (${Math.round((Date.now() - started) / 1000)} s)`);
}

// Tools built from this repository's sources: rebuilt whenever their sources change.
for (const name of locals) {
  const { dir, versionArgs } = LOCAL_TOOLS[name];
  const sourceDir = join(repoRoot(), dir);
  const hash = createHash("sha256");
  for (const file of readdirSync(sourceDir).sort())
    hash.update(file).update(readFileSync(join(sourceDir, file)));
  const digest = hash.digest("hex");
  const binary = peerBinaryPath(name);
  const stamp = `${binary}.sources-sha256`;
  if (binaryWorks(binary, versionArgs) && existsSync(stamp) && readFileSync(stamp, "utf8") === digest) {
    console.log(`${name} already built: ${binary}`);
    continue;
  }
  console.log(`building ${name} from ${dir} (go build)...`);
  mkdirSync(minioBinDir(), { recursive: true });
  const tmpBin = mkdtempSync(join(minioBinDir(), ".build-"));
  const built = join(tmpBin, name);
  const r = spawnSync("go", ["build", "-mod=mod", "-o", built, "."], {
    cwd: sourceDir,
    stdio: "inherit",
    env: { ...process.env, CGO_ENABLED: "0" },
  });
  let error = "";
  if (r.error) error = `could not run 'go build': ${r.error.message}`;
  else if (r.status !== 0) error = `'go build' in ${dir} failed (exit ${r.status ?? r.signal})`;
  else if (!binaryWorks(built, versionArgs)) error = `the built ${name} does not run`;
  if (!error) {
    renameSync(built, binary);
    writeFileSync(stamp, digest);
  }
  rmSync(tmpBin, { recursive: true, force: true });
  if (error) fail(error);
  console.log(`${name} built: ${binary}`);
}
