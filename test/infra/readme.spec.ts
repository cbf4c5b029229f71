// The README's deployment section against the template: every command it shows must deploy as
// written (declared parameters, valid values, rules satisfied), the original quick-start commands
// must be there, and its tables must match the template.
import { beforeAll, describe, expect, it } from "vitest";
import { TEMPLATE_FILE } from "../../infra/app.js";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "../../src/worker/metric-names.js";
import { ORIGINAL_QUICK_START } from "./original-template.js";
import { type CfnTemplate, deploy, deploymentProblems, readRepoFile, synthTemplate } from "./support.js";

interface StackCommand {
  kind: "create-stack" | "deploy";
  text: string;
  options: Record<string, string[]>;
  parameters: Record<string, string>;
}

let template: CfnTemplate;
let section: string;
let commands: StackCommand[];

/** Splits a shell command line into words (single and double quotes, no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(pattern))
    words.push(match[1] ?? match[2]?.replace(/\\(.)/g, "$1") ?? match[3] ?? "");
  return words;
}

function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n/g, " ")
      .split("\n")
      .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
      .filter((line) => line.length > 0),
  );
}

function parseStackCommand(text: string): StackCommand | undefined {
  const words = shellWords(text);
  if (words[0] !== "aws" || words[1] !== "cloudformation") return undefined;
  const kind = words[2];
  if (kind !== "create-stack" && kind !== "deploy") return undefined;
  const options: Record<string, string[]> = {};
  let current: string | undefined;
  for (const word of words.slice(3)) {
    if (word.startsWith("--")) {
      current = word;
      options[current] = [];
    } else if (current) {
      options[current]?.push(word);
    } else {
      throw new Error(`stray word ${word} in: ${text}`);
    }
  }
  const parameters: Record<string, string> = {};
  if (kind === "create-stack") {
    for (const item of options["--parameters"] ?? []) {
      const match = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(item);
      if (!match) throw new Error(`unreadable parameter ${item}`);
      parameters[match[1] as string] = match[2] as string;
    }
  } else {
    for (const item of options["--parameter-overrides"] ?? []) {
      const at = item.indexOf("=");
      parameters[item.slice(0, at)] = item.slice(at + 1);
    }
  }
  return { kind, text, options, parameters };
}

beforeAll(() => {
  template = synthTemplate();
  const readme = readRepoFile("README.md");
  const start = readme.indexOf("\n## Deployment (CloudFormation)\n");
  expect(start, "README.md has a section ## Deployment (CloudFormation)").toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 5);
  section = readme.slice(start, end < 0 ? undefined : end);
  commands = shellCommands(section).flatMap((line) => parseStackCommand(line) ?? []);
});

describe("the README's deployment commands", () => {
  it("include the original quick-start commands, parameters unchanged", () => {
    expect(commands.map((command) => command.parameters)).toContainEqual(ORIGINAL_QUICK_START.createStack);
    expect(commands.map((command) => command.parameters)).toContainEqual(ORIGINAL_QUICK_START.deploy);
    const original = commands.find((command) => command.kind === "create-stack");
    expect(original?.parameters).toEqual(ORIGINAL_QUICK_START.createStack);
  });

  it("cover both directions", () => {
    const direction = (command: StackCommand) =>
      `${command.parameters.SourceRegion?.startsWith("cn-") ? "China" : "Global"} -> ${
        command.parameters.TargetRegion?.startsWith("cn-") ? "China" : "Global"
      }`;
    expect(new Set(commands.map(direction))).toEqual(new Set(["China -> Global", "Global -> China"]));
  });

  it("use only parameters the template declares, with values it accepts, in the source region", () => {
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      const region = command.options["--region"]?.[0];
      expect(region, command.text).toBe(command.parameters.SourceRegion);
      expect(
        deploymentProblems({ template, parameters: command.parameters, region: region ?? "" }),
        command.text,
      ).toEqual([]);
    }
  });

  it("package the template the way its size requires, with the capability it needs", () => {
    for (const command of commands) {
      expect(command.options["--capabilities"], command.text).toEqual(["CAPABILITY_IAM"]);
      expect(command.options, command.text).not.toHaveProperty("--template-body");
      if (command.kind === "deploy") {
        expect(command.options["--template-file"], command.text).toEqual([TEMPLATE_FILE]);
        expect(command.options["--s3-bucket"]?.length, command.text).toBe(1);
      } else {
        const url = command.options["--template-url"]?.[0] ?? "";
        expect(url, command.text).toMatch(
          new RegExp(`^https://[a-z0-9.-]+\\.s3\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/${TEMPLATE_FILE}$`),
        );
        const bucket = /^https:\/\/([^/]+)\.s3\./.exec(url)?.[1];
        const upload = shellCommands(section).find(
          (line) => line.startsWith("aws s3 cp ") && line.includes(`s3://${bucket}/`),
        );
        expect(upload, `the template is uploaded to ${bucket}`).toBeDefined();
      }
    }
    expect(section).toContain("--template-body file://s3-cross-account-sync-minimal-template.yaml");
    expect(section).toMatch(/does not work with this template/);
    expect(section).toContain("51,200 bytes");
  });
});

describe("the README's deployment reference", () => {
  it("lists every parameter once, with the template's default", () => {
    const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map(
      (match) => [match[1], match[2]?.trim()] as const,
    );
    const parameterRows = rows.filter(([name]) => name !== undefined && name in template.Parameters);
    expect(parameterRows.map(([name]) => name)).toEqual(Object.keys(template.Parameters));
    for (const [name, shown] of parameterRows) {
      const definition = template.Parameters[name as string];
      const expected =
        definition?.Default === undefined
          ? "required"
          : definition.Default === ""
            ? "empty"
            : `\`${definition.Default}\``;
      expect(shown, name).toBe(expected);
    }
  });

  it("explains every alarm by name", () => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== "AWS::CloudWatch::Alarm") continue;
      const name = ((resource.Properties?.AlarmName ?? {}) as { "Fn::Sub": string })["Fn::Sub"].replace(
        "${AWS::StackName}",
        "STACK",
      );
      expect(section, id).toContain(`| \`${name}\` |`);
    }
  });

  it("gives the secret's format, its rotation and the backfill payload", () => {
    expect(section).toContain(
      '{"AccessKeyId": "AKIA...", "SecretAccessKey": "...", "SessionToken": "optional"}',
    );
    expect(section).toMatch(/\*\*Rotating the keys\.\*\*/);
    expect(section).toContain("aws secretsmanager put-secret-value");
    expect(section).toContain(`--payload '{"backfill":{"prefix":""}}'`);
    expect(section).toContain("aws sqs start-message-move-task");
  });
});

describe("the README's metrics", () => {
  // Published names: dashboards and alarms outside this stack are built on them.
  it("name the namespace, the dimension and every metric the worker writes", () => {
    const readme = readRepoFile("README.md");
    expect(readme).toContain(`namespace \`${METRIC_NAMESPACE}\``);
    expect(readme).toContain(`\`service=${SERVICE_NAME}\``);
    for (const name of Object.values(METRIC)) expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
  });
});

describe("the README sections the template names", () => {
  /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");

  it("exist, whether named as a section or linked as an anchor", () => {
    const readme = readRepoFile("README.md");
    const headings = [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) => (match[1] ?? "").trim());
    // The inline code is not the template's prose (the real bundle quotes other READMEs).
    const prose = JSON.stringify(template, (key, value) => (key === "ZipFile" ? "" : value));
    const mentions = [...prose.matchAll(/README.{0,80}/g)].map((match) => match[0]);
    expect(mentions.length, "the template points to the README").toBeGreaterThan(0);
    for (const mention of mentions) {
      const section = /^README\.md, section \\"([^\\]+)\\"/.exec(mention)?.[1];
      const anchor = /^README\.md#([\w-]+)/.exec(mention)?.[1];
      expect(
        section ?? anchor,
        `"${mention}" names a section: README.md, section "..." or README.md#anchor`,
      ).toBeDefined();
      if (section) expect(headings, mention).toContain(section);
      if (anchor) expect(headings.map(slug), mention).toContain(anchor);
    }
  });
});

describe("the README's step-by-step deployment", () => {
  /** The section's commands with the names it sets (`NAME=value` lines) put in. */
  function walkthrough(): { lines: string[]; names: Record<string, string>; position: number } {
    const readme = readRepoFile("README.md");
    const position = readme.indexOf("\n## Deploy to AWS, step by step\n");
    const end = readme.indexOf("\n## ", position + 5);
    const names: Record<string, string> = {};
    const lines: string[] = [];
    for (const line of shellCommands(readme.slice(position, end))) {
      const assignment = /^([A-Z_]+)=(\S+)$/.exec(line);
      if (assignment) names[assignment[1] as string] = assignment[2] as string;
      else lines.push(line.replace(/\$([A-Z_]+)/g, (_, name: string) => names[name] ?? `$${name}`));
    }
    return { lines, names, position };
  }

  it("comes right after the quick start, before the local demo", () => {
    const readme = readRepoFile("README.md");
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings.slice(0, 3)).toEqual(["Quick start", "Deploy to AWS, step by step", "The local demo"]);
    expect(readme.indexOf("npm start")).toBeLessThan(walkthrough().position);
  });

  it("creates the template bucket only when missing, then deploys a stack the template accepts", () => {
    const { lines, names } = walkthrough();
    const region = names.REGION as string;
    const bucket = names.TEMPLATES as string;
    expect(lines).toContain(`aws s3api head-bucket --bucket "${bucket}" --region "${region}" 2>/dev/null ||`);
    expect(lines).toContain(`aws s3 mb "s3://${bucket}" --region "${region}"`);
    const deployLine = lines.find((line) => line.startsWith("aws cloudformation deploy"));
    const command = parseStackCommand(deployLine ?? "");
    expect(command?.options["--s3-bucket"]).toEqual([bucket]);
    expect(command?.options["--region"]).toEqual([region]);
    expect(command?.options["--capabilities"]).toEqual(["CAPABILITY_IAM"]);
    // `Name="$VALUE"` quotes the value within the word.
    const parameters = Object.fromEntries(
      Object.entries(command?.parameters ?? {}).map(([name, value]) => [
        name,
        value.replace(/^"(.*)"$/, "$1"),
      ]),
    );
    expect(parameters.SourceRegion).toBe(region);
    expect(deploymentProblems({ template, parameters, region })).toEqual([]);

    // The names the later steps use are the ones the stack creates.
    const stackName = command?.options["--stack-name"]?.[0] ?? "";
    const stack = deploy({ template, parameters, region, stackName });
    const functionName = stack.resources.SyncLambdaFunction?.Properties.FunctionName as string;
    expect(lines.filter((line) => line.includes("--function-name")).length).toBe(2);
    for (const line of lines.filter((l) => l.includes("--function-name")))
      expect(line).toContain(`--function-name "${functionName}"`);
    expect(lines).toContain(`aws logs tail "${stack.outputs.LogGroupName}" --since 10m --region "${region}"`);
    const secret = lines.find((line) => line.startsWith("aws secretsmanager put-secret-value"));
    expect(secret).toContain(`--secret-id ${stack.outputs.SecretsManagerSecretName} `);
    expect(secret).toContain("--secret-string file://");
  });
});
