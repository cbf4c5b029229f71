import { S3Client } from "@aws-sdk/client-s3";
import { fromIni } from "@aws-sdk/credential-providers";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Logger,
  ParsedIniData,
} from "@aws-sdk/types";
import { loadSharedConfigFiles } from "@smithy/shared-ini-file-loader";
import { CLIENT_CLOSED_REQUEST, httpStatusOf, labelError } from "../engine/errors.js";
import { timedRequestHandler } from "./request-handler.js";

/** How to reach one side, as the user gave it (CLI flags or environment), already validated. */
export interface SideSettings {
  region?: string;
  profile?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export interface ClientTuning {
  /** Sockets per side: parts in flight plus the HEAD and list requests beside them. */
  maxSockets: number;
  /** SDK attempts per request (metadata calls; data transfers retry on their own). */
  maxAttempts: number;
  /** A request with no byte moving on its socket for this long fails (see EngineOptions.stallTimeoutMs). */
  stallTimeoutMs: number;
}

export interface ResolvedSide {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * Fills region and endpoint from the shared-config profile. The SDK honours a profile's
 * `endpoint_url` only for the profile selected by AWS_PROFILE, and a copy needs two profiles at once.
 */
export async function resolveSide(side: SideSettings, defaultRegion: string): Promise<ResolvedSide> {
  let region = side.region;
  let endpoint = side.endpoint;
  let credentials = side.credentials;
  const name = side.profile;
  if (name) {
    const { configFile, credentialsFile } = await loadSharedConfigFiles();
    // Own keys only: a plain lookup also finds what every object inherits (toString, constructor).
    const own = (file: ParsedIniData) => (Object.hasOwn(file, name) ? file[name] : undefined);
    const [fromConfig, fromCredentials] = [own(configFile), own(credentialsFile)];
    if (!fromConfig && !fromCredentials) {
      throw new Error(`profile "${name}" is not in the shared AWS config or credentials file`);
    }
    const profile = { ...fromCredentials, ...fromConfig };
    region ??= profile.region;
    endpoint ??= profile.endpoint_url;
    credentials ??= fromIni({ profile: name });
  }
  return {
    region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? defaultRegion,
    endpoint,
    credentials,
  };
}

/**
 * Without a logger of its own, the SDK writes "An error was encountered in a non-retryable
 * streaming request." to the console whenever a streamed upload fails. The engine retries and
 * reports those failures itself, so the drivers keep their output to one line per problem.
 * `info` and `error` are left out on purpose: the SDK calls them as `logger.info?.(...)` with a
 * redacted copy of every request's input and output as the argument, built only when the method
 * exists (about 2% of the CPU of a run of small objects, measured).
 */
const QUIET_LOGGER = { debug() {}, warn() {} } as unknown as Logger;

/**
 * Marks every error a client throws with the role of the server it talked to ("source",
 * "target"), so an answer without an S3 error code can still say who gave it ("target answered
 * HTTP 503"): a HEAD's error answer has no body to carry a code.
 */
export function labelErrors(client: { middlewareStack: S3Client["middlewareStack"] }, role: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw labelError(error, role);
      }
    },
    { step: "initialize", name: "s3xsyncLabelErrors" },
  );
}

/**
 * Lets the SDK retry a request answered HTTP 499 (see CLIENT_CLOSED_REQUEST) as it retries a
 * reset connection: marked inside its retry middleware, which otherwise takes a 4xx as final.
 */
function retryClosedRequests(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (httpStatusOf(error) === CLIENT_CLOSED_REQUEST && typeof error === "object" && error !== null) {
          Object.assign(error, { $retryable: {} });
        }
        throw error;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "s3xsyncRetryClosedRequests" },
  );
}

/** An S3 client for one side; `role` ("source", "target") names it in errors. */
export function createS3Client(side: ResolvedSide, tuning: ClientTuning, role: string): S3Client {
  const client = new S3Client({
    region: side.region,
    ...(side.endpoint ? { endpoint: side.endpoint, forcePathStyle: true } : {}),
    ...(side.credentials ? { credentials: side.credentials } : {}),
    maxAttempts: tuning.maxAttempts,
    logger: QUIET_LOGGER,
    // The engine asks for a checksum where it proves something (see src/engine); by default the
    // SDK would add a CRC32 to every upload, costing CPU on every byte on both sides.
    requestChecksumCalculation: "WHEN_REQUIRED",
    // The SDK holds back every body of 2 MiB or more until the server answers "100 Continue": one
    // round trip per part, which across the partition border is the slowest link there is. A
    // refused part (expired keys, wrong region) costs its bytes once instead; the engine retries.
    expectContinueHeader: false,
    requestHandler: timedRequestHandler({
      maxSockets: tuning.maxSockets,
      // A second more than the stall timeout, so that a body's stall is told by the engine's
      // watchdog, which names the side.
      idleTimeoutMs: tuning.stallTimeoutMs + 1_000,
    }),
  });
  retryClosedRequests(client);
  labelErrors(client, role);
  return client;
}
