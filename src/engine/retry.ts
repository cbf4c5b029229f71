import { setTimeout as sleep } from "node:timers/promises";
import { isRetryable } from "./errors.js";

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  attempts: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Hears every failed attempt, retried or not (the scheduler reads the link's state from them). */
  onAttemptFailed?: (error: unknown) => void;
  /** Aborted: no further attempt, nor the wait for one (a hedge finished first, the copy was cancelled). */
  signal?: AbortSignal;
}

export interface RetryResult<T> {
  value: T;
  attempts: number;
}

/** Exponential backoff with full jitter, as in AWS's architecture guidance on retries. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

export class RetriesExhaustedError extends Error {
  override name = "RetriesExhaustedError";
  constructor(
    readonly lastError: unknown,
    readonly attempts: number,
  ) {
    super(`gave up after ${attempts} attempts`);
  }
}

/** Runs `operation` until it succeeds, fails permanently, or the attempts are spent. */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
): Promise<RetryResult<T>> {
  const base = policy.baseDelayMs ?? 200;
  const max = policy.maxDelayMs ?? 20_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await operation(attempt), attempts: attempt };
    } catch (error) {
      if (policy.signal?.aborted) throw policy.signal.reason;
      policy.onAttemptFailed?.(error);
      if (!isRetryable(error)) throw error;
      if (attempt >= policy.attempts) throw new RetriesExhaustedError(error, attempt);
      await sleep(backoffDelay(attempt - 1, base, max), undefined, { signal: policy.signal }).catch(() => {
        throw policy.signal?.reason;
      });
    }
  }
}
