// Where the test MinIO binary lives: a git-ignored cache in the repo root.
// Shared by scripts/install-minio.mjs and test/support/minio.ts.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The `go install` target that `scripts/install-minio.mjs` builds (pinned). */
export const MINIO_MODULE = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c";

/** Absolute path of the repository root. */
export function repoRoot() {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..");
}

/** Directory used as GOBIN for the MinIO build (`<repo>/.cache/bin`). */
export function minioBinDir() {
  return join(repoRoot(), ".cache", "bin");
}

/** Absolute path of the cached MinIO server binary (`<repo>/.cache/bin/minio`). */
export function minioBinaryPath() {
  return join(minioBinDir(), "minio");
}
