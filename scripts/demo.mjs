#!/usr/bin/env node
// `npm start`: the whole product on this machine, no AWS account needed. Installs what is
// missing (npm packages, the build, MinIO), then runs scripts/demo/run-demo.ts.
// Options: --keep (keep the servers and the worker running and print commands to try by hand).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./minio-path.mjs";

const root = repoRoot();
const say = (line) => process.stdout.write(`${line}\n`);

function run(what, command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write(`demo: ${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
    process.exit(1);
  }
}

if (!existsSync(join(root, "node_modules", "tsx"))) {
  say("demo: installing the npm packages (first run only): npm ci");
  run("npm ci", "npm", ["ci", "--no-audit", "--no-fund"]);
}
say("demo: building s3xsync (dist/cli/s3xsync.js)");
run("the build", process.execPath, [join(root, "scripts", "build.mjs")]);
run("installing MinIO", process.execPath, [join(root, "scripts", "install-minio.mjs")]);

// The demo handles Ctrl-C itself (it stops what it started); this process only waits for it.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
const child = spawn(
  process.execPath,
  ["--import", "tsx", join(root, "scripts", "demo", "run-demo.ts"), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
);
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === "SIGINT" ? 130 : 1);
});
