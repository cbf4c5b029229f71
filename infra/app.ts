import { readFileSync } from "node:fs";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { SyncStack } from "./stack.js";

const ROOT = new URL("../", import.meta.url);

/** The committed template, at the repository root under the original template's name. */
export const TEMPLATE_FILE = "s3-cross-account-sync-minimal-template.yaml";
export const TEMPLATE_PATH = new URL(TEMPLATE_FILE, ROOT);
export const HANDLER_BUNDLE_PATH = new URL("dist/lambda/handler.js", ROOT);
export const NOTIFICATION_HANDLER_PATH = new URL("infra/eventbridge-notification-handler.cjs", ROOT);
export const STACK_ID = "S3CrossPartitionSync";

/** CloudFormation's limit for a template body sent with the request (`--template-body`). */
export const REQUEST_TEMPLATE_LIMIT_BYTES = 51_200;
/** CloudFormation's limit for a template read from S3 (`--template-url`, `deploy --s3-bucket`): 1 MB. */
export const S3_TEMPLATE_LIMIT_BYTES = 1_000_000;

/**
 * The sync handler's bundle as inline Lambda code (CloudFormation writes ZipFile to index.js).
 * The source map stays behind: the trailing sourceMappingURL comment would point at nothing.
 */
export function readHandlerBundle(path: URL = HANDLER_BUNDLE_PATH): string {
  let code: string;
  try {
    code = readFileSync(path, "utf8");
  } catch {
    throw new Error(
      `${path.pathname} not found: run \`npm run build\` first (the template embeds the handler bundle)`,
    );
  }
  return code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
}

export function readNotificationHandler(): string {
  return readFileSync(NOTIFICATION_HANDLER_PATH, "utf8");
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { version: string }).version;
}

export interface SyncAppOptions {
  /** The sync handler's code; default: the built bundle. */
  handlerCode?: string;
  /** Run cdk-nag's AwsSolutions checks during synthesis (violations fail the synthesis). */
  nag?: boolean;
  /** aws-cdk-lib's bundled CloudFormation checks (5-10 s per synthesis). */
  builtinValidation?: boolean;
  outdir?: string;
}

export function createSyncApp(options: SyncAppOptions = {}): { app: App; stack: SyncStack } {
  const app = new App({
    outdir: options.outdir,
    analyticsReporting: false,
    builtinCloudFormationValidation: options.builtinValidation ?? true,
  });
  const stack = new SyncStack(app, STACK_ID, {
    handlerCode: options.handlerCode ?? readHandlerBundle(),
    notificationHandlerCode: readNotificationHandler(),
    version: packageVersion(),
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
