// Rendering the synthesized template as YAML: exact round trips, inline code kept readable.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { orderSections, templateToYaml } from "../../infra/template-yaml.js";

const awkwardCode = [
  '"use strict";',
  "  leading spaces, trailing spaces   ",
  "\ttab first\tand inside",
  "# not a comment: ---",
  "key: value, [flow], {map}, 'quotes' \"double\" \\backslash",
  "",
  "",
  "const s = `template ${literal}`; // ${AWS::Region} is not a CloudFormation reference here",
  "last line without newline",
].join("\n");

function template(code: string) {
  return {
    Description: "d",
    AWSTemplateFormatVersion: "2010-09-09",
    Resources: {
      Fn: {
        Type: "AWS::Lambda::Function",
        Properties: { Code: { ZipFile: code }, Timeout: 60, Enabled: "true", Flag: true, Empty: "" },
      },
    },
  };
}

describe("templateToYaml", () => {
  it.each([
    ["awkward code", awkwardCode],
    ["code ending in a newline", `${awkwardCode}\n`],
    ["code ending in blank lines", `${awkwardCode}\n\n\n`],
    ["code starting with spaces", `   indented first line\nsecond`],
  ])("round-trips %s exactly, as a literal block", (_, code) => {
    const yaml = templateToYaml(template(code), " header");
    expect(parse(yaml, { version: "1.1" })).toEqual(template(code));
    expect(yaml).toMatch(/ZipFile: \|/);
  });

  it("keeps strings that YAML 1.1 would read as other types as strings", () => {
    const yaml = templateToYaml(
      {
        AWSTemplateFormatVersion: "2010-09-09",
        Parameters: { P: { Type: "String", AllowedValues: ["true", "yes", "on", "90"] } },
      },
      " h",
    );
    expect(yaml).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(parse(yaml, { version: "1.1" }).Parameters.P.AllowedValues).toEqual(["true", "yes", "on", "90"]);
  });

  it("writes no anchors or aliases for repeated values", () => {
    const shared = { Ref: "X" };
    const yaml = templateToYaml(
      { Resources: { A: { Type: "T", Properties: { a: shared, b: shared } } } },
      " h",
    );
    expect(yaml).not.toMatch(/[&*]a\d/);
  });

  it("starts with the header as comments", () => {
    expect(templateToYaml({ Resources: {} }, " first\n second").startsWith("# first\n# second\n")).toBe(true);
  });
});

describe("orderSections", () => {
  it("puts the sections in CloudFormation's customary order", () => {
    const ordered = orderSections({
      Outputs: 1,
      Resources: 2,
      Rules: 3,
      Description: 4,
      AWSTemplateFormatVersion: 5,
    });
    expect(Object.keys(ordered)).toEqual([
      "AWSTemplateFormatVersion",
      "Description",
      "Rules",
      "Resources",
      "Outputs",
    ]);
  });
});
