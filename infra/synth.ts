// `npm run synth`: synthesizes the stack (with cdk-nag and aws-cdk-lib's CloudFormation checks)
// and writes the committed template. Needs `npm run build` first: the template embeds the bundle.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncApp, S3_TEMPLATE_LIMIT_BYTES, STACK_ID, TEMPLATE_FILE, TEMPLATE_PATH } from "./app.js";
import { orderSections, templateToYaml } from "./template-yaml.js";

const HEADER = [
  " Generated from infra/ by `npm run synth` (after `npm run build`): do not edit by hand.",
  ' How to deploy: README.md, section "Deployment (CloudFormation)".',
  " Larger than 51,200 bytes (the handler is inline): deploy with `aws cloudformation deploy --s3-bucket ...`",
  " or upload it to S3 and use `create-stack --template-url ...`.",
].join("\n");

const outdir = mkdtempSync(join(tmpdir(), "s3xsync-cdk-"));
try {
  const { app } = createSyncApp({ outdir });
  const template = app.synth().getStackByName(STACK_ID).template;
  const yaml = templateToYaml(orderSections(template), HEADER);
  const bytes = Buffer.byteLength(yaml);
  if (bytes > S3_TEMPLATE_LIMIT_BYTES) {
    throw new Error(
      `${TEMPLATE_FILE} would be ${bytes} bytes, over CloudFormation's ${S3_TEMPLATE_LIMIT_BYTES}-byte limit for templates in S3: shrink the handler bundle or ship it as an S3 artifact`,
    );
  }
  writeFileSync(TEMPLATE_PATH, yaml);
  console.log(`wrote ${TEMPLATE_FILE} (${statSync(TEMPLATE_PATH).size} bytes)`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
