// Helpers for the infrastructure tests: synthesize the stack fast (no validation plugins), and
// evaluate a template the way CloudFormation would for given parameter values and a region.
import { readFileSync } from "node:fs";
import { createSyncApp, STACK_ID } from "../../infra/app.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface CfnParameterDefinition {
  Type: string;
  Default?: string | number;
  AllowedValues?: (string | number)[];
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
  Description?: string;
  ConstraintDescription?: string;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: JsonObject;
  Parameters: Record<string, CfnParameterDefinition>;
  Rules?: Record<
    string,
    { RuleCondition?: Json; Assertions: { Assert: Json; AssertDescription?: string }[] }
  >;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: JsonObject;
      Condition?: string;
      DependsOn?: string | string[];
      [key: string]: Json | undefined;
    }
  >;
  Outputs?: Record<string, { Description?: string; Value: Json; Condition?: string }>;
}

/** A stand-in for the handler bundle: CommonJS, exports `handler`. */
export const FAKE_HANDLER_CODE = '"use strict";\nexports.handler = async () => ({ statusCode: 200 });\n';

export const REPO_ROOT = new URL("../../", import.meta.url);

export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, REPO_ROOT), "utf8");
}

/** The synthesized template (JSON-shaped, as CDK produces it), without the validation plugins. */
export function synthTemplate(handlerCode = FAKE_HANDLER_CODE): CfnTemplate {
  const { app } = createSyncApp({ handlerCode, nag: false, builtinValidation: false });
  return app.synth().getStackByName(STACK_ID).template as CfnTemplate;
}

// --- A small CloudFormation evaluator -------------------------------------------------------

export interface Deployment {
  template: CfnTemplate;
  /** Parameter values as given (strings, as on the command line); defaults fill in the rest. */
  parameters: Record<string, string>;
  region: string;
  accountId?: string;
  stackName?: string;
}

const NO_VALUE = Symbol("AWS::NoValue");

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** Parameter values after defaults; throws for a missing required one. */
export function resolvedParameters(deployment: Deployment): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, definition] of Object.entries(deployment.template.Parameters)) {
    const given = deployment.parameters[name];
    if (given !== undefined) values[name] = given;
    else if (definition.Default !== undefined) values[name] = String(definition.Default);
    else throw new Error(`parameter ${name} has no default and was not given`);
  }
  return values;
}

/** The reasons CloudFormation would refuse a value for this parameter (empty: accepted). */
export function parameterProblems(name: string, definition: CfnParameterDefinition, value: string): string[] {
  const problems: string[] = [];
  if (definition.AllowedValues && !definition.AllowedValues.map(String).includes(value)) {
    problems.push(`${name}=${value} is not one of its AllowedValues`);
  }
  if (definition.AllowedPattern && !new RegExp(`^(?:${definition.AllowedPattern})$`).test(value)) {
    problems.push(`${name}=${value} does not match ${definition.AllowedPattern}`);
  }
  if (definition.MinLength !== undefined && value.length < definition.MinLength)
    problems.push(`${name} too short`);
  if (definition.MaxLength !== undefined && value.length > definition.MaxLength)
    problems.push(`${name} too long`);
  if (definition.Type === "Number") {
    const number = Number(value);
    if (value.trim() === "" || Number.isNaN(number)) problems.push(`${name}=${value} is not a number`);
    if (definition.MinValue !== undefined && number < definition.MinValue)
      problems.push(`${name} below MinValue`);
    if (definition.MaxValue !== undefined && number > definition.MaxValue)
      problems.push(`${name} above MaxValue`);
  }
  return problems;
}

class Evaluator {
  private readonly values: Record<string, string>;
  private readonly pseudo: Record<string, string>;

  constructor(private readonly deployment: Deployment) {
    this.values = resolvedParameters(deployment);
    this.pseudo = {
      "AWS::Region": deployment.region,
      "AWS::Partition": partitionOf(deployment.region),
      "AWS::URLSuffix": deployment.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com",
      "AWS::AccountId": deployment.accountId ?? "111122223333",
      "AWS::StackName": deployment.stackName ?? "s3-cross-partition-sync",
    };
  }

  private ref(name: string): string {
    if (name in this.pseudo) return this.pseudo[name] as string;
    if (name in this.values) return this.values[name] as string;
    if (name in this.deployment.template.Resources) return `{${name}}`;
    throw new Error(`Ref to unknown ${name}`);
  }

  condition(name: string): boolean {
    const expression = this.deployment.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`unknown condition ${name}`);
    return this.truth(expression);
  }

  truth(expression: Json): boolean {
    const value = this.eval(expression);
    if (typeof value !== "boolean") throw new Error(`not a condition: ${JSON.stringify(expression)}`);
    return value;
  }

  private sub(text: string, variables: Record<string, unknown>): string {
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in variables) return String(variables[name]);
      if (name.includes(".")) return `{${name}}`;
      return this.ref(name);
    });
  }

  eval(value: Json): unknown {
    if (Array.isArray(value)) return value.map((item) => this.eval(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key] as Json;
      switch (key) {
        case "Ref":
          return argument === "AWS::NoValue" ? NO_VALUE : this.ref(argument as string);
        case "Fn::GetAtt":
          return `{${(argument as string[]).join(".")}}`;
        case "Fn::Join": {
          const [separator, parts] = argument as [string, Json[]];
          return (this.eval(parts) as unknown[]).join(separator);
        }
        case "Fn::Sub": {
          if (typeof argument === "string") return this.sub(argument, {});
          const [text, variables] = argument as [string, JsonObject];
          return this.sub(text, this.eval(variables) as Record<string, unknown>);
        }
        case "Fn::If": {
          const [condition, whenTrue, whenFalse] = argument as [string, Json, Json];
          return this.eval(this.condition(condition) ? whenTrue : whenFalse);
        }
        case "Fn::Equals": {
          const [a, b] = this.eval(argument) as [unknown, unknown];
          return String(a) === String(b);
        }
        case "Fn::Not":
          return !this.truth((argument as Json[])[0] as Json);
        case "Fn::And":
          return (argument as Json[]).every((item) => this.truth(item));
        case "Fn::Or":
          return (argument as Json[]).some((item) => this.truth(item));
        case "Condition":
          return this.condition(argument as string);
        case "Fn::FindInMap": {
          const [map, top, second] = this.eval(argument) as [string, string, string];
          const found = this.deployment.template.Mappings?.[map]?.[top]?.[second];
          if (found === undefined) throw new Error(`FindInMap ${map}/${top}/${second} not found`);
          return found;
        }
      }
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const evaluated = this.eval(item as Json);
      if (evaluated !== NO_VALUE) result[key] = evaluated;
    }
    return result;
  }
}

/** What CloudFormation would make of the template for this deployment. */
export function deploy(deployment: Deployment) {
  const evaluator = new Evaluator(deployment);
  const { template } = deployment;
  const resources: Record<string, { Type: string; Properties: Record<string, unknown> }> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition && !evaluator.condition(resource.Condition)) continue;
    resources[id] = {
      Type: resource.Type,
      Properties: evaluator.eval(resource.Properties ?? {}) as Record<string, unknown>,
    };
  }
  const outputs: Record<string, unknown> = {};
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition && !evaluator.condition(output.Condition)) continue;
    outputs[id] = evaluator.eval(output.Value);
  }
  return {
    resources,
    outputs,
    condition: (name: string) => evaluator.condition(name),
    /** The rule assertions that fail (their descriptions), as CloudFormation checks them before anything else. */
    failedRules(): string[] {
      const failed: string[] = [];
      for (const [name, rule] of Object.entries(template.Rules ?? {})) {
        if (rule.RuleCondition !== undefined && !evaluator.truth(rule.RuleCondition)) continue;
        for (const assertion of rule.Assertions) {
          if (!evaluator.truth(assertion.Assert))
            failed.push(`${name}: ${assertion.AssertDescription ?? ""}`);
        }
      }
      return failed;
    },
  };
}

/** The parameter problems and failed rules of a deployment; empty when CloudFormation would accept it. */
export function deploymentProblems(deployment: Deployment): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(deployment.parameters)) {
    if (!(name in deployment.template.Parameters))
      problems.push(`${name} is not a parameter of the template`);
  }
  for (const [name, definition] of Object.entries(deployment.template.Parameters)) {
    const given = deployment.parameters[name];
    if (given === undefined && definition.Default === undefined) problems.push(`${name} is required`);
    if (given !== undefined) problems.push(...parameterProblems(name, definition, given));
  }
  if (problems.length > 0) return problems;
  return deploy(deployment).failedRules();
}
