// cdk-nag's AwsSolutions pack over the stack: nothing unacknowledged, and every acknowledgement
// (written next to the resource in infra/stack.ts) answers a real finding, with a reason.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Acknowledgment, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSyncApp } from "../../infra/app.js";
import { FAKE_HANDLER_CODE } from "./support.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function nagFindings(stack: Parameters<AwsSolutionsChecks["validateScope"]>[0]): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) => violation.violatingResources.map(() => violation.ruleName));
}

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged", () => {
    const { stack } = createSyncApp({ handlerCode: FAKE_HANDLER_CODE, nag: false, builtinValidation: false });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    expect(report.success).toBe(true);
  });

  it("acknowledges exactly the findings there are, each with a reason", () => {
    const acknowledged: Acknowledgment[] = [];
    vi.spyOn(Validations.prototype, "acknowledge").mockImplementation((...rules: Acknowledgment[]) => {
      acknowledged.push(...rules);
    });
    const { stack } = createSyncApp({ handlerCode: FAKE_HANDLER_CODE, nag: false, builtinValidation: false });
    const findings = nagFindings(stack);
    const nagAcknowledgements = acknowledged.filter((rule) => rule.id.startsWith("AwsSolutions-"));
    expect([...findings].sort()).toEqual(nagAcknowledgements.map((rule) => rule.id).sort());
    expect(findings.sort()).toEqual([
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<SourceBucketName>/<S3PrefixFilter>*]",
      "AwsSolutions-L1",
      "AwsSolutions-L1",
      "AwsSolutions-SMG4",
    ]);
    for (const rule of acknowledged) expect(rule.reason.length, rule.id).toBeGreaterThan(60);
  });

  it("runs as a validation plugin during synthesis, which then succeeds", () => {
    const outdir = mkdtempSync(join(tmpdir(), "s3xsync-nag-"));
    try {
      const { app } = createSyncApp({
        handlerCode: FAKE_HANDLER_CODE,
        nag: true,
        builtinValidation: false,
        outdir,
      });
      expect(() => app.synth()).not.toThrow();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("fails synthesis on a finding nobody acknowledged", () => {
    vi.spyOn(Validations.prototype, "acknowledge").mockImplementation(() => {});
    const outdir = mkdtempSync(join(tmpdir(), "s3xsync-nag-"));
    try {
      const { app } = createSyncApp({
        handlerCode: FAKE_HANDLER_CODE,
        nag: true,
        builtinValidation: false,
        outdir,
      });
      expect(() => app.synth()).toThrow(/AwsSolutions-SMG4/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
