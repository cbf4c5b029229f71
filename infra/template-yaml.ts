import { Document, isScalar, parse, Scalar, visit } from "yaml";

/** Keys whose string values are source code: written as literal blocks, readable in the file. */
const CODE_KEYS = new Set(["ZipFile"]);

/**
 * Renders a CloudFormation template (as synthesized, JSON-shaped) as YAML: long-form intrinsic
 * functions (`Fn::Sub:`), no anchors or aliases, no line folding, YAML 1.1 quoting (so strings
 * such as "true" or "2010-09-09" stay strings for 1.1 parsers), inline code as literal blocks.
 * Throws unless the YAML parses back to exactly the same template.
 */
export function templateToYaml(template: unknown, header: string): string {
  const doc = new Document(template, { aliasDuplicateObjects: false, version: "1.1" });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && CODE_KEYS.has(String(pair.key.value)) && isScalar(pair.value)) {
        if (typeof pair.value.value === "string" && pair.value.value.includes("\n")) {
          pair.value.type = Scalar.BLOCK_LITERAL;
        }
      }
    },
  });
  doc.commentBefore = header;
  const text = doc.toString({ lineWidth: 0, minContentWidth: 0, directives: false });
  const reparsed = parse(text, { version: "1.1" });
  if (JSON.stringify(reparsed) !== JSON.stringify(template)) {
    throw new Error("the YAML rendering of the template does not parse back to the same template");
  }
  return text;
}

/** CloudFormation's customary section order: format version and description first, outputs last. */
const SECTION_ORDER = [
  "AWSTemplateFormatVersion",
  "Description",
  "Metadata",
  "Parameters",
  "Rules",
  "Mappings",
  "Conditions",
  "Transform",
  "Resources",
  "Outputs",
];

export function orderSections(template: Record<string, unknown>): Record<string, unknown> {
  const rank = (key: string) => {
    const at = SECTION_ORDER.indexOf(key);
    return at < 0 ? SECTION_ORDER.length : at;
  };
  return Object.fromEntries(Object.entries(template).sort(([a], [b]) => rank(a) - rank(b)));
}
