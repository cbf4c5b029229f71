import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  describeError,
  type EngineOptions,
  hedgedRead,
  WHOLE_OBJECTS_PER_PART_SLOT,
} from "../engine/index.js";
import { PreflightError, UsageError } from "../user-facing/errors.js";
import { partitionOf } from "./partition.js";
import { createS3Client, type ResolvedSide, resolveSide, type SideSettings } from "./s3-client.js";

/**
 * A side's region when neither its flag, its profile nor AWS_REGION names one (as the README's
 * option table says): requests must be signed for some region, and an S3-compatible endpoint
 * such as MinIO accepts this one by default.
 */
const DEFAULT_REGION = "us-east-1";

/** How to reach both sides, as the user gave it (validated flags). */
export interface SidesSettings {
  source: SideSettings;
  target: SideSettings;
  /** Read the target's keys from this Secrets Manager secret. */
  targetSecret?: string;
}

/** One side, resolved once and proven reachable: its client and bucket, and how it is reached. */
export interface OpenedSide extends ResolvedSide {
  client: S3Client;
  bucket: string;
}

export interface OpenedSides {
  source: OpenedSide;
  target: OpenedSide;
  /**
   * Resolves once both buckets are proven reachable, rejects with a PreflightError otherwise. A
   * driver may list while it is pending (the proof and the first listing page then share one round
   * trip, 0.2 to 0.3 s across the border); it writes nothing before it resolves.
   */
  reachable: Promise<void>;
}

/** A HEAD of the bucket: a missing bucket, wrong keys or a wrong endpoint, said in one line. */
async function proveReachable(what: "source" | "target", side: OpenedSide): Promise<void> {
  const { client, bucket } = side;
  const where = side.endpoint ?? `${side.region} (${partitionOf(side.region)})`;
  try {
    await hedgedRead(client, (abortSignal) =>
      client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const reason = status === 404 ? "bucket does not exist" : describeError(error);
    throw new PreflightError(`${what} s3://${bucket} at ${where}: ${reason}`);
  }
}

async function openSide(
  what: "source" | "target",
  settings: SideSettings,
  bucket: string,
  engine: Pick<EngineOptions, "concurrency" | "adaptiveMax" | "attempts" | "stallTimeoutMs">,
): Promise<OpenedSide> {
  const resolved = await resolveSide(settings, DEFAULT_REGION).catch((error: Error) => {
    throw new UsageError(`${what}: ${error.message}`);
  });
  const client = createS3Client(
    resolved,
    {
      maxSockets: (engine.adaptiveMax ?? engine.concurrency) * WHOLE_OBJECTS_PER_PART_SLOT + 4,
      maxAttempts: engine.attempts,
      stallTimeoutMs: engine.stallTimeoutMs,
    },
    what,
  );
  return { ...resolved, client, bucket };
}

/**
 * Opens both sides for an engine with these options: region, endpoint and credentials resolved
 * once per side (the target's keys from its secret when one is named), a client sized for the
 * engine, and each bucket being proven reachable (see OpenedSides.reachable). Problems are
 * PreflightError or UsageError, one line.
 */
export async function openSides(
  settings: SidesSettings,
  buckets: { source: string; target: string },
  engine: Pick<EngineOptions, "concurrency" | "adaptiveMax" | "attempts" | "stallTimeoutMs">,
): Promise<OpenedSides> {
  let targetSettings = settings.target;
  if (settings.targetSecret) {
    const secretId = settings.targetSecret;
    // Loaded only when named: the Secrets Manager client costs every other run its start-up.
    const { readTargetSecret, SecretConfigurationError } = await import("./target-secret.js");
    const credentials = await readTargetSecret(secretId).catch((error: unknown) => {
      // A SecretConfigurationError already names the secret and what to fix.
      throw new PreflightError(
        error instanceof SecretConfigurationError
          ? `target ${error.message}`
          : `target secret ${secretId}: ${describeError(error)}`,
      );
    });
    targetSettings = { ...targetSettings, credentials };
  }
  const [source, target] = await Promise.all([
    openSide("source", settings.source, buckets.source, engine),
    openSide("target", targetSettings, buckets.target, engine),
  ]);
  const reachable = Promise.all([proveReachable("source", source), proveReachable("target", target)]).then(
    () => undefined,
  );
  // Heard by whoever awaits it; a driver that fails first for another reason leaves it unheard.
  reachable.catch(() => undefined);
  return { source, target, reachable };
}
