/** The part of Lambda's context the handler reads. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

export interface Deadline {
  /** Enough time left to start a part (or an object) and still finish it and queue a continuation. */
  hasTimeForPart(): boolean;
}

/**
 * Keeps a quarter of the invocation's time (between 2 s and 60 s) for the parts in flight to
 * finish and for the continuation message, so a copy pauses cleanly instead of being killed.
 */
export function deadlineOf(clock: InvocationClock): Deadline {
  const reserveMs = Math.min(60_000, Math.max(2_000, clock.getRemainingTimeInMillis() * 0.25));
  return { hasTimeForPart: () => clock.getRemainingTimeInMillis() > reserveMs };
}

export const NO_DEADLINE: Deadline = { hasTimeForPart: () => true };
