import { isServerError, isThrottlingError, isTransientError } from "@smithy/service-error-classification";

/** The source object changed (or its pinned version vanished) while it was being copied. */
export class SourceChangedError extends Error {
  override name = "SourceChangedError";
}

/**
 * CompleteMultipartUpload answered InvalidPart: a part the target had acknowledged is gone or holds
 * other bytes (MinIO did so once in a full test run on a loaded machine, 1 GiB, 64 parts in flight). The
 * copy starts over on a fresh upload, as when the source changed; the proof is taken again.
 */
export class PartsLostError extends Error {
  override name = "PartsLostError";
}

/** Bytes on the target do not match what was read; the part or object is sent again. */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}

/** A listing answered a truncated page whose next marker is empty or was seen before: it would never end. */
export class EndlessListingError extends Error {
  override name = "EndlessListingError";
}

/**
 * The source answered a read of one part (?partNumber=N) with the whole object: it ignores the
 * parameter (moto, some S3-compatible stores). The copy reads byte ranges instead.
 */
export class PartReadsIgnoredError extends Error {
  override name = "PartReadsIgnoredError";
}

/** No byte moved through a transfer for the stall timeout: it is aborted and tried again on a fresh connection. */
export class StallError extends Error {
  override name = "StallError";
}

/** A transfer given up because a second one of the same bytes (a hedge) finished first. */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/** A failure that sending again cannot fix (bad input, missing object, access denied). */
export class PermanentError extends Error {
  override name = "PermanentError";
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  /** Who answered (see labelError). */
  $role?: string;
}

/**
 * Marks an error with the role of the server it came from ("source", "target"), unless it has
 * one, so that an answer without an S3 error code can still say who gave it.
 */
export function labelError(error: unknown, role: string): unknown {
  if (typeof error === "object" && error !== null && !("$role" in error)) {
    Object.defineProperty(error, "$role", { value: role });
  }
  return error;
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function errorName(error: unknown): string {
  const e = error as SdkErrorShape | undefined;
  return e?.name ?? e?.code ?? "Error";
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

/**
 * HTTP 499: the server says the client closed the request. MinIO answers it when the request's
 * bytes stop coming; a connection broken on the way (a soak's faulty link made a preflight fail
 * on it), not a client mistake, though it is a 4xx that the SDK does not retry.
 */
export const CLIENT_CLOSED_REQUEST = 499;

export function isNetworkError(error: unknown): boolean {
  const e = error as SdkErrorShape | undefined;
  return (
    NETWORK_CODES.has(e?.code ?? "") ||
    NETWORK_CODES.has(e?.name ?? "") ||
    e?.name === "TimeoutError" ||
    e?.$metadata?.httpStatusCode === CLIENT_CLOSED_REQUEST
  );
}

/**
 * What a failed attempt says about the link: a server asking to slow down (`throttled`), a
 * connection reset or stalled (`broken`), or nothing (undefined: a bad answer, a missing key).
 */
export function congestionOf(error: unknown): "throttled" | "broken" | undefined {
  if (error instanceof StallError || isNetworkError(error)) return "broken";
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (
    typeof sdkError === "object" &&
    sdkError !== null &&
    "$metadata" in sdkError &&
    isThrottlingError(sdkError)
  ) {
    return "throttled";
  }
  return httpStatusOf(error) === 503 ? "throttled" : undefined;
}

/** What Node and the SDK say when a connection is cut under a body, without a code to tell by. */
const CUT_MESSAGE = /socket hang up|aborted|premature close|ECONNRESET/i;

/** A body's connection was cut (reset, or closed before its last byte), not a fault of the bytes. */
export function isConnectionCut(error: unknown): boolean {
  return isNetworkError(error) || CUT_MESSAGE.test(String((error as Error | undefined)?.message));
}

/** Throttling, 5xx, network faults and integrity mismatches are worth another attempt. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SourceChangedError || error instanceof PermanentError) return false;
  if (error instanceof PartsLostError) return false;
  if (error instanceof PartReadsIgnoredError || error instanceof CancelledError) return false;
  if (error instanceof IntegrityError || error instanceof EndlessListingError) return true;
  if (error instanceof StallError) return true;
  if (isNetworkError(error)) return true;
  // A success status on an error: the answer came but could not be read (cut off or garbled).
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 200 && status < 300) return true;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  if (typeof sdkError !== "object" || sdkError === null || !("$metadata" in sdkError)) {
    return CUT_MESSAGE.test(String((error as Error)?.message));
  }
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
}

const FRIENDLY: Record<string, string> = {
  NoSuchBucket: "bucket does not exist",
  NoSuchKey: "object does not exist",
  // A 404 that "not found" would blame on the object: the copy's own upload is gone mid-copy.
  NoSuchUpload:
    "the copy's multipart upload is gone from the target (aborted by a lifecycle rule or another process)",
  // S3 answers 400 RequestTimeout to a request whose body has sent nothing for about 20 s, sooner
  // than the default stall timeout of 30 s: a stall upstream of the upload, not the target's fault.
  RequestTimeout:
    "the target closed a request whose bytes stopped coming (S3 waits about 20 s): the source or the link to the target stalled",
  AccessDenied: "access denied (check the credentials and the bucket policy)",
  InvalidAccessKeyId: "the access key id is not valid for this endpoint (check the credentials and region)",
  SignatureDoesNotMatch: "the secret key does not match the access key (check the credentials)",
  ExpiredToken: "the session token has expired (refresh the credentials)",
  InvalidToken: "the session token is not valid (refresh the credentials)",
  PermanentRedirect: "the bucket is in another region (set the region of that side)",
  AuthorizationHeaderMalformed: "the region does not match the bucket's region (set the region of that side)",
  CredentialsProviderError:
    "no credentials found (give a profile or a secret for this side, or set the AWS_* environment variables)",
};

/** One line, safe to print: what went wrong, without stack or credentials. */
export function describeError(error: unknown): string {
  const name = errorName(error);
  const status = httpStatusOf(error);
  if (Object.hasOwn(FRIENDLY, name)) return FRIENDLY[name] as string;
  if (error instanceof StallError) return error.message;
  const role = (error as SdkErrorShape | undefined)?.$role;
  if (status === 403) return "access denied (check the credentials and the bucket policy)";
  if (status === 404) return "not found";
  // The SDK names an error answer without a code (a HEAD's has no body) "Unknown"/"UnknownError".
  if (status !== undefined && (name === "Unknown" || name === "UnknownError")) {
    return `${role ?? "the server"} answered HTTP ${status}`;
  }
  const code = (error as SdkErrorShape | undefined)?.code;
  if (code === "ECONNREFUSED") return "endpoint unreachable (connection refused)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "endpoint host name does not resolve";
  // The client's timeouts: the connection never opened, or nothing moved on it for the stall timeout.
  if (name === "TimeoutError" && /establishing a connection/.test(String((error as Error).message))) {
    return `${role ?? "endpoint"} did not accept a connection in time`;
  }
  if (name === "TimeoutError")
    return `${role ?? "endpoint"} stalled: nothing moved on the connection for the stall timeout`;
  if (code === "ETIMEDOUT") return `${role ?? "endpoint"} did not answer in time`;
  const message = ((error as SdkErrorShape | undefined)?.message ?? String(error)).split("\n")[0] ?? "";
  const detail = message && message !== name ? `${name}: ${message}` : name;
  return status ? `${detail} (HTTP ${status})` : detail;
}
