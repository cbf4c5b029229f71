#!/usr/bin/env node
// Installs the pinned moto server the integration tests use into a virtualenv,
// <repo>/.cache/moto-venv, so `npm test` needs nothing but python3 (with its venv module).
// Usage (from anywhere): node scripts/install-moto.mjs
// Does nothing when the venv already holds the pinned version.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  motoPythonPath,
  motoRequirement,
  motoRequirementsPath,
  motoVenvDir,
  motoVersion,
} from "./moto-path.mjs";

/** pip resolves and downloads moto and about 40 dependencies: minutes on a slow mirror, never hours. */
const PIP_TIMEOUT_MS = 15 * 60_000;

function fail(message) {
  console.error(`install-moto: ${message}`);
  process.exit(1);
}

function run(command, args, timeout = 60_000) {
  return spawnSync(command, args, { encoding: "utf8", timeout });
}

/** The moto version a venv's python imports, or undefined. */
function installedVersion(python) {
  const r = run(python, ["-c", "import importlib.metadata as m, moto.server; print(m.version('moto'))"]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const venv = motoVenvDir();
const wanted = motoVersion();
if (installedVersion(motoPythonPath(venv)) === wanted) {
  console.log(`moto ${wanted} already installed: ${venv}`);
  process.exit(0);
}

const python = run("python3", ["--version"]);
if (python.error || python.status !== 0) {
  fail("python3 is required to run the moto server for the tests but was not found on PATH");
}

console.log(`installing ${motoRequirement()} into ${venv} (first run only, ~1 min; ${python.stdout.trim()})`);
mkdirSync(dirname(venv), { recursive: true });
// Built beside its final place and renamed into it, so an interrupted install leaves no half-made
// venv behind (a venv's python finds its packages relative to itself, so the move keeps it working).
const building = mkdtempSync(join(dirname(venv), ".moto-venv-build-"));
const started = Date.now();
let error = "";
const created = run("python3", ["-m", "venv", building], 120_000);
if (created.status !== 0) {
  error =
    `'python3 -m venv' failed (${(created.stderr || created.error?.message || "").trim().split("\n").pop()}); ` +
    "on Debian or Ubuntu install the python3-venv package";
} else {
  const pip = spawnSync(
    motoPythonPath(building),
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", motoRequirementsPath()],
    { stdio: "inherit", timeout: PIP_TIMEOUT_MS },
  );
  const got = pip.status === 0 ? installedVersion(motoPythonPath(building)) : undefined;
  if (pip.status !== 0)
    error = `'pip install -r ${motoRequirementsPath()}' failed (exit ${pip.status ?? pip.signal})`;
  else if (got !== wanted) error = `the venv imports moto ${got ?? "(none)"}, not the pinned ${wanted}`;
  else {
    rmSync(venv, { recursive: true, force: true });
    renameSync(building, venv);
  }
}
rmSync(building, { recursive: true, force: true });
if (error) fail(error);
console.log(`moto ${wanted} installed: ${venv} (${Math.round((Date.now() - started) / 1000)} s)`);
