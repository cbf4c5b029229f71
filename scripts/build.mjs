// Bundles the CLI and the Lambda handler into single files with esbuild.
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
await rm(new URL("dist", root), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  define: { PACKAGE_VERSION: JSON.stringify(pkg.version) },
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { "cli/s3xsync": "src/cli/s3xsync.ts" },
  outdir: "dist",
  format: "esm",
  // The commands a run does not use stay in chunks of their own, loaded when used.
  splitting: true,
  chunkNames: "cli/chunks/[name]-[hash]",
  banner: {
    // Bundled CommonJS dependencies call require(); give them one in the ES module.
    js: "#!/usr/bin/env node\nimport { createRequire as __s3xsyncRequire } from 'node:module';\nconst require = __s3xsyncRequire(import.meta.url);",
  },
});
await chmod(new URL("dist/cli/s3xsync.js", root), 0o755);

// CommonJS and minified: Lambda (and CloudFormation's inline code) load a lone handler.js as
// CommonJS, whatever the package.json beside our sources says.
await build({
  ...common,
  entryPoints: { "lambda/handler": "src/lambda/handler.ts" },
  outdir: "dist",
  format: "cjs",
  minify: true,
});
await mkdir(new URL("dist/lambda", root), { recursive: true });
await writeFile(new URL("dist/lambda/package.json", root), '{ "type": "commonjs" }\n');
