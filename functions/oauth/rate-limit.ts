import type { SecurityEventRecorder } from '../events/recorder.ts';
import type { EventFacts } from '../events/security-event.ts';

/** Port: fixed-window counters (DynamoDB items that expire with their window). */
export interface RateCounter {
  /** Counts one more event under `key` in the window containing `now`; returns the count so far and when the window ends. */
  hit(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }>;
  /** The count so far under `key` in the window containing `now`, without counting anything. */
  peek(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }>;
}

/**
 * Records that a rate limit tripped (`rate_limit_tripped`, reason = the limit's name, the same as
 * the RateLimited metric's `Limit`): one event per limit, key and window, however many requests
 * are refused in it. `key` names what is limited (a family, a claimed client id…).
 */
export function rateLimitTripped(
  events: SecurityEventRecorder | undefined,
  limit: string,
  key: string,
  windowEndsAt: number,
  facts: EventFacts = {},
): Promise<void> {
  return (
    events?.record({
      type: 'rate_limit_tripped',
      facts: { ...facts, reason: limit, window_ends_at: windowEndsAt },
      once: { key: `${limit}\n${key}\n${windowEndsAt}`, until: windowEndsAt },
    }) ?? Promise.resolve()
  );
}
