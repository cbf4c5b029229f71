import { queueRegion } from "../aws/queue-region.js";
import type { OperateSettings } from "../operate/operate-clients.js";
import type { PipelineTarget } from "../operate/pipeline.js";
import { UsageError } from "../user-facing/errors.js";
import { region as parseRegion } from "./cli-config.js";
import { checkQueueUrl } from "./watch-options.js";

/** The options `status` and `redrive` take, as commander hands them over. */
export interface RawOperateOptions {
  stack?: string;
  queueUrl?: string;
  dlqUrl?: string;
  region?: string;
  profile?: string;
  json?: boolean;
}

export interface OperateOptions {
  target: PipelineTarget;
  settings: OperateSettings;
  json: boolean;
}

/** CloudFormation's rule for stack names; a stack ID (its ARN) is accepted too. */
const STACK_NAME = /^(?:[A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:.+)$/;

function parseTarget(raw: RawOperateOptions, command: string): PipelineTarget {
  if (raw.stack !== undefined && raw.queueUrl === undefined) {
    if (!STACK_NAME.test(raw.stack)) {
      throw new UsageError(
        `--stack "${raw.stack}" is not a stack name (letters, digits and -, starting with a letter)`,
      );
    }
    if (raw.dlqUrl !== undefined) throw new UsageError("--dlq-url goes with --queue-url; --stack names both");
    return { kind: "stack", stackName: raw.stack };
  }
  if (raw.queueUrl !== undefined && raw.stack === undefined) {
    checkQueueUrl(raw.queueUrl);
    if (raw.dlqUrl !== undefined) checkQueueUrl(raw.dlqUrl, "--dlq-url");
    return { kind: "queue", queueUrl: raw.queueUrl, deadLetterQueueUrl: raw.dlqUrl };
  }
  throw new UsageError(`${command} needs one of --stack NAME or --queue-url URL`);
}

export function parseOperateOptions(raw: RawOperateOptions, command: string): OperateOptions {
  const target = parseTarget(raw, command);
  const region =
    parseRegion(raw.region, "--region") ??
    (target.kind === "queue" ? queueRegion(target.queueUrl) : undefined);
  return {
    target,
    settings: { ...(region ? { region } : {}), ...(raw.profile ? { profile: raw.profile } : {}) },
    json: raw.json ?? false,
  };
}
