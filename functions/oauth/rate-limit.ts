import type { SecurityEventRecorder } from '../events/recorder.ts';
import type { EventFacts } from '../events/security-event.ts';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { Metrics } from '../observability/metrics.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { TooManyRequests } from './errors.ts';

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

/** What {@link limitClientAuthFailures} counts with. */
export interface AuthFailureDependencies {
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly clock: Clock;
  readonly rates: Pick<RateCounter, 'hit'>;
  readonly metrics: Pick<Metrics, 'count'>;
  readonly events?: SecurityEventRecorder | undefined;
}

/**
 * Counts a failed client authentication per claimed client id (off the happy path); past
 * `client_auth_failure_limit` in a `rate_limit_window`, it is answered 429. Correct credentials
 * are never refused by this limit, so an attacker cannot lock the real client out. (The
 * refresh's own failure and retry limits, per family, are in `grants/refresh-token.ts`.)
 */
export async function limitClientAuthFailures(clientId: string, deps: AuthFailureDependencies): Promise<void> {
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), { clientId });
  const now = epochSeconds(deps.clock);
  const { count, resetAt } = await deps.rates.hit(`client#${clientId}`, lifetimes.rate_limit_window.value, now);
  if (count > lifetimes.client_auth_failure_limit.value) {
    deps.metrics.count('RateLimited', { Limit: 'client_auth_failures' });
    // The client id is the one claimed: whoever fails to authenticate as it.
    await rateLimitTripped(deps.events, 'client_auth_failures', clientId, resetAt, { client_id: clientId });
    throw new TooManyRequests(resetAt - now, 'too many failed client authentications');
  }
}
