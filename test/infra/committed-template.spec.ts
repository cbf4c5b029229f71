// The committed template at the repository root: what users deploy. It must be what the CDK app
// synthesizes (CI also re-synthesizes it from a fresh build and diffs it), fit CloudFormation's
// limits, and carry a handler that Lambda can load from the inline index.js.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  REQUEST_TEMPLATE_LIMIT_BYTES,
  readNotificationHandler,
  S3_TEMPLATE_LIMIT_BYTES,
  TEMPLATE_FILE,
} from "../../infra/app.js";
import { orderSections } from "../../infra/template-yaml.js";
import { type CfnTemplate, REPO_ROOT, readRepoFile, synthTemplate } from "./support.js";

let text: string;
let committed: CfnTemplate;
let handlerCode: string;
const scratch = mkdtempSync(join(tmpdir(), "s3xsync-template-"));

beforeAll(() => {
  text = readRepoFile(TEMPLATE_FILE);
  committed = parse(text, { version: "1.1" }) as CfnTemplate;
  handlerCode = ((committed.Resources.SyncLambdaFunction?.Properties?.Code ?? {}) as { ZipFile: string })
    .ZipFile;
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe(`the committed ${TEMPLATE_FILE}`, () => {
  it("is what infra/ synthesizes (else: npm run build && npm run synth)", () => {
    expect(committed).toEqual(
      orderSections(synthTemplate(handlerCode) as unknown as Record<string, unknown>),
    );
  });

  it("needs an S3 upload (over 51,200 bytes) and fits CloudFormation's limit for templates in S3", () => {
    const bytes = statSync(new URL(TEMPLATE_FILE, REPO_ROOT)).size;
    expect(bytes).toBeGreaterThan(REQUEST_TEMPLATE_LIMIT_BYTES);
    expect(bytes).toBeLessThanOrEqual(S3_TEMPLATE_LIMIT_BYTES);
  });

  it("embeds the handler as CommonJS that exports handler from index.js, without its source map", async () => {
    expect(handlerCode.length).toBeGreaterThan(10_000);
    expect(handlerCode).not.toContain("sourceMappingURL");
    const dir = mkdtempSync(join(scratch, "lambda-"));
    writeFileSync(join(dir, "index.js"), handlerCode);
    const loaded = createRequire(join(dir, "index.js"))(join(dir, "index.js")) as { handler?: unknown };
    expect(typeof loaded.handler).toBe("function");
  });

  it("embeds the custom resource's code as it is in infra/", () => {
    const code = (
      (committed.Resources.EventBridgeNotificationFunction?.Properties?.Code ?? {}) as { ZipFile: string }
    ).ZipFile;
    expect(code).toBe(readNotificationHandler());
  });

  it("is readable YAML: a header, long-form functions, inline code as literal blocks", () => {
    expect(text.split("\n")[0]).toMatch(/^# Generated from infra\/ by `npm run synth`/);
    expect(text).toMatch(/^AWSTemplateFormatVersion: "2010-09-09"$/m);
    expect(text.match(/^ {8}ZipFile: \|/gm)).toHaveLength(2);
    expect(text).not.toMatch(/ !(Ref|Sub|GetAtt|If) /);
    expect(text).not.toMatch(/^\s*[&*][a-z]\w*\s/m);
  });
});
