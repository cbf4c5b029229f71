// The peer tools the benchmarks compare against and measure the servers with, pinned, and where
// their binaries live: the same git-ignored <repo>/.cache/bin as the test MinIO.
// Shared by scripts/install-peers.mjs and bench/.
import { join } from "node:path";
import { minioBinDir } from "./minio-path.mjs";

/**
 * name → the `go install` target (pinned) and the arguments that print its version.
 * - rclone: the general tool that streams between two S3 endpoints with two sets of keys.
 * - s5cmd: raw parallel GET/PUT, used to measure what the servers can do (the limit of a copy).
 *   MinIO's warp would do as well, but the Go module proxy here does not serve it (403).
 */
export const PEERS = {
  rclone: { module: "github.com/rclone/rclone@v1.76.0", versionArgs: ["version"] },
  s5cmd: { module: "github.com/peak/s5cmd/v2@v2.3.0", versionArgs: ["version"] },
};

/**
 * Tools built from this repository's own Go sources (go build in the directory, its go.sum pins
 * the dependencies), rebuilt when a source file changes.
 * - s3raw (bench/s3raw): parallel GET-only and PUT-only load without payload signing or MD5, for
 *   the servers' raw limit; s5cmd signs every payload with SHA-256 over plain http, which makes
 *   its PUT-only run bound by its own CPU rather than by the server.
 */
export const LOCAL_TOOLS = {
  s3raw: { dir: "bench/s3raw", versionArgs: ["-h"] },
};

/** Absolute path of a peer's (or local tool's) cached binary, e.g. `<repo>/.cache/bin/rclone`. */
export function peerBinaryPath(name) {
  return join(minioBinDir(), name);
}
