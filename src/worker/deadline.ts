/** The part of Lambda's context the handler reads. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

export interface Deadline {
  /** Enough time left to start a part (or an object) and still finish it and queue a continuation. */
  hasTimeForPart(): boolean;
  /**
   * How long a transfer starting now may wait for a byte: the time left before the continuation
   * margin, so a stalled connection is given up on while the copy can still pause cleanly.
   */
  stallBudgetMs(): number;
}

/** A transfer inside the margin still gets this long before it counts as stalled. */
const MIN_STALL_BUDGET_MS = 1_000;

/**
 * Keeps a quarter of the invocation's time (between 2 s and 60 s) for the parts in flight to
 * finish and for the continuation message, so a copy pauses cleanly instead of being killed.
 */
export function deadlineOf(clock: InvocationClock): Deadline {
  const reserveMs = Math.min(60_000, Math.max(2_000, clock.getRemainingTimeInMillis() * 0.25));
  return {
    hasTimeForPart: () => clock.getRemainingTimeInMillis() > reserveMs,
    stallBudgetMs: () => Math.max(MIN_STALL_BUDGET_MS, clock.getRemainingTimeInMillis() - reserveMs),
  };
}

export const NO_DEADLINE: Deadline = {
  hasTimeForPart: () => true,
  stallBudgetMs: () => Number.POSITIVE_INFINITY,
};
