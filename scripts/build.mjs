// Bundles the CLI (and later the Lambda handler) into single files with esbuild.
import { chmod, readFile, rm } from "node:fs/promises";
import { build } from "esbuild";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { "cli/s3xsync": "src/cli/s3xsync.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  banner: {
    // Bundled CommonJS dependencies call require(); give them one in the ES module.
    js: "#!/usr/bin/env node\nimport { createRequire as __s3xsyncRequire } from 'node:module';\nconst require = __s3xsyncRequire(import.meta.url);",
  },
  define: { PACKAGE_VERSION: JSON.stringify(pkg.version) },
  logLevel: "warning",
});
await chmod(new URL("../dist/cli/s3xsync.js", import.meta.url), 0o755);
