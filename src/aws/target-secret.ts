import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { serviceClientSettings } from "./request-handler.js";

/**
 * The secret cannot give the target keys as it is configured (missing, unreadable, empty or
 * malformed): asking again will not help until someone fixes it. Messages never hold a value.
 */
export class SecretConfigurationError extends Error {
  override name = "SecretConfigurationError";
}

export class SecretFormatError extends SecretConfigurationError {
  override name = "SecretFormatError";
}

/** Secrets Manager's answers that only a change to the secret or its permissions can fix. */
const CONFIGURATION_FAULTS: Record<string, string> = {
  ResourceNotFoundException: "does not exist in this account and region",
  AccessDeniedException: "access denied (the function's role, or the key policy of its KMS key)",
  DecryptionFailure: "cannot be decrypted with its KMS key",
  InvalidRequestException: "cannot be read now (scheduled for deletion, or has no current value)",
};

/** GetSecretValue, with the answers that need a fix turned into SecretConfigurationError. */
async function getSecretString(client: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    const fault = CONFIGURATION_FAULTS[(error as Error).name];
    if (fault) throw new SecretConfigurationError(`secret ${secretId}: ${fault}`);
    throw error;
  }
}

/**
 * Parses the secret's JSON: {"AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken"?: "..."}.
 * Errors name the secret and the field, never a value.
 */
export function parseTargetSecret(secretId: string, secretString: string | undefined): AwsCredentialIdentity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? "");
  } catch {
    throw new SecretFormatError(
      `secret ${secretId}: not JSON; expected {"AccessKeyId": ..., "SecretAccessKey": ...}`,
    );
  }
  const fields = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const field = (name: string) => {
    const value = fields[name];
    if (typeof value !== "string" || value === "") {
      throw new SecretFormatError(`secret ${secretId}: "${name}" is missing or not a string`);
    }
    return value;
  };
  const sessionToken = fields.SessionToken;
  return {
    accessKeyId: field("AccessKeyId"),
    secretAccessKey: field("SecretAccessKey"),
    ...(typeof sessionToken === "string" && sessionToken !== "" ? { sessionToken } : {}),
  };
}

/** The region a secret ARN names; otherwise the SDK's default region applies. */
function secretRegion(secretId: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1];
}

export async function readTargetSecret(
  secretId: string,
  client?: SecretsManagerClient,
): Promise<AwsCredentialIdentity> {
  const region = secretRegion(secretId);
  const secrets =
    client ?? new SecretsManagerClient({ ...serviceClientSettings(), ...(region ? { region } : {}) });
  try {
    // A name, not an ARN, is looked up in the SDK's default region; with none the SDK's own
    // error ("Region is missing") names neither the secret nor the fix.
    if (!(await secrets.config.region().catch(() => undefined))) {
      throw new SecretConfigurationError(
        `secret ${secretId}: no region to look it up in; name it by its ARN, or set AWS_REGION`,
      );
    }
    return parseTargetSecret(secretId, await getSecretString(secrets, secretId));
  } finally {
    if (!client) secrets.destroy();
  }
}

/**
 * The target keys, cached across invocations for at most `maxAgeMs`, so a rotated secret is
 * picked up without a redeploy; `refresh()` fetches at once (after the target rejected the keys).
 * `current()` returns the same object for as long as the keys stay the same, so callers can
 * rebuild their clients only when it changes. Callers at the same time share one GetSecretValue
 * (a cold start's batch asked once per object: 8 calls for one batch of 8).
 */
export class SecretCredentialsCache {
  private credentials: AwsCredentialIdentity | undefined;
  private fetchedAt = 0;
  private fetching: Promise<boolean> | undefined;

  constructor(
    private readonly secretId: string,
    private readonly client: SecretsManagerClient,
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  async current(): Promise<AwsCredentialIdentity> {
    if (!this.credentials || Date.now() - this.fetchedAt > this.maxAgeMs) await this.refresh();
    return this.credentials as AwsCredentialIdentity;
  }

  /** Fetches the secret now (or joins the fetch under way); true when the keys changed. */
  refresh(): Promise<boolean> {
    this.fetching ??= this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetch(): Promise<boolean> {
    const fresh = parseTargetSecret(this.secretId, await getSecretString(this.client, this.secretId));
    this.fetchedAt = Date.now();
    const old = this.credentials;
    const same =
      old !== undefined &&
      old.accessKeyId === fresh.accessKeyId &&
      old.secretAccessKey === fresh.secretAccessKey &&
      old.sessionToken === fresh.sessionToken;
    if (!same) this.credentials = fresh;
    return old !== undefined && !same;
  }
}
