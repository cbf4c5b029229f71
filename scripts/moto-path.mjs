// Where the test moto server lives: a virtualenv in the git-ignored cache of the repo root.
// Shared by scripts/install-moto.mjs and test/support/moto.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./minio-path.mjs";

/** The virtualenv `scripts/install-moto.mjs` creates (`<repo>/.cache/moto-venv`). */
export function motoVenvDir() {
  return join(repoRoot(), ".cache", "moto-venv");
}

/** The venv's python, which runs `python -m moto.server` (no pip scripts on PATH needed). */
export function motoPythonPath(venvDir = motoVenvDir()) {
  return join(venvDir, "bin", "python");
}

/** test/support/moto-requirements.txt, the pin the venv is installed from. */
export function motoRequirementsPath() {
  return join(repoRoot(), "test", "support", "moto-requirements.txt");
}

/** The pinned requirement line, e.g. `moto[server]==5.2.1`. */
export function motoRequirement() {
  const text = readFileSync(motoRequirementsPath(), "utf8");
  const line = text.split("\n").find((l) => l.trim().startsWith("moto"));
  if (!line) throw new Error(`${motoRequirementsPath()} has no moto line`);
  return line.trim();
}

/** The pinned version, e.g. `5.2.1`. */
export function motoVersion() {
  const version = /==\s*([\w.]+)/.exec(motoRequirement())?.[1];
  if (!version)
    throw new Error(`${motoRequirementsPath()}: the moto line pins no version (moto[server]==X.Y.Z)`);
  return version;
}
