import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { serviceClientSettings } from "./request-handler.js";

export class SecretFormatError extends Error {
  override name = "SecretFormatError";
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
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    return parseTargetSecret(secretId, SecretString);
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
    const output = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const fresh = parseTargetSecret(this.secretId, output.SecretString);
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
