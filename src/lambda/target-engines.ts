import type { S3Client } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { Engine } from "../engine/index.js";

/** An engine and the target client it was built with, for one set of target keys. */
export interface KeyedEngine {
  engine: Engine;
  target: Pick<S3Client, "destroy">;
}

/**
 * The engine for the target keys of the moment, rebuilt only when they change (the keys object
 * stays the same while they do, see SecretCredentialsCache). The target clients of keys rotated
 * away are closed by `closeRetired()`, which the handler calls as an invocation ends: Lambda runs
 * one invocation at a time in an environment, so no task uses them then.
 */
export class TargetEngines {
  private active: { credentials: AwsCredentialIdentity; built: KeyedEngine } | undefined;
  private readonly retired: KeyedEngine["target"][] = [];

  constructor(
    private readonly keys: () => Promise<AwsCredentialIdentity>,
    private readonly build: (credentials: AwsCredentialIdentity) => KeyedEngine,
  ) {}

  async current(): Promise<Engine> {
    const credentials = await this.keys();
    if (this.active?.credentials !== credentials) {
      if (this.active) this.retired.push(this.active.built.target);
      this.active = { credentials, built: this.build(credentials) };
    }
    return this.active.built.engine;
  }

  /** Closes the target clients of rotated keys; call only when no task runs. */
  closeRetired(): void {
    for (const client of this.retired.splice(0)) client.destroy();
  }
}
