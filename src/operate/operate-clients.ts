import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SQSClient } from "@aws-sdk/client-sqs";
import { serviceClientSettings } from "../aws/request-handler.js";

/** Where the deployed pipeline is, as the user gave it (validated). */
export interface OperateSettings {
  region?: string;
  profile?: string;
}

/** The clients `status` and `redrive` use; the SDK's standard endpoint variables apply to each. */
export interface OperateClients {
  sqs: SQSClient;
  cloudWatch: CloudWatchClient;
  cloudFormation: CloudFormationClient;
  destroy(): void;
}

/**
 * Every call here is a small control-plane request that AWS answers within a second or two; none
 * long-polls (receives use WaitTimeSeconds 0), so 20 s without a byte fails the attempt, and the
 * SDK's 3 attempts bound a call to about a minute.
 */
const OPERATE_IDLE_TIMEOUT_MS = 20_000;

export function createOperateClients(settings: OperateSettings): OperateClients {
  const config = () => ({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    maxAttempts: 3,
    ...serviceClientSettings(OPERATE_IDLE_TIMEOUT_MS),
  });
  const sqs = new SQSClient(config());
  const cloudWatch = new CloudWatchClient(config());
  const cloudFormation = new CloudFormationClient(config());
  return {
    sqs,
    cloudWatch,
    cloudFormation,
    destroy() {
      sqs.destroy();
      cloudWatch.destroy();
      cloudFormation.destroy();
    },
  };
}
