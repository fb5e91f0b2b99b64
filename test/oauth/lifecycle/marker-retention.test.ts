import { describe, expect, it } from 'vitest';
import { LifetimeConfigStore } from '../../../functions/lifetimes/config.ts';
import { LONGEST_ACCESS_TOKEN_TTL } from '../../../functions/lifetimes/parameters.ts';
import { markerRetention } from '../../../functions/oauth/bulk-revocation.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';
import { memoryMetrics } from '../../../functions/observability/metrics.ts';
import { TestClock } from '../../support/clock.ts';

describe('markerRetention (bulk revocation and revoke_all_on_logout alike)', () => {
  const store = (parameters: Record<string, string>) =>
    new LifetimeConfigStore({ source: { load: async () => new Map(Object.entries(parameters)) }, clock: new TestClock(), logger: memoryLogger(), metrics: memoryMetrics(), maxAgeMs: 1, refreshWaitMs: 1_000 });

  it('outlasts the longest refresh family of any client, and the longest access token after it', async () => {
    const now = new TestClock().seconds;
    expect(await markerRetention(store({ refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '86400' }), now)).toBe(now + 86_400 + LONGEST_ACCESS_TOKEN_TTL);
    const withOverride = store({ refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '86400', 'clients/long/refresh_token_absolute_ttl': '604800' });
    expect(await markerRetention(withOverride, now)).toBe(now + 604_800 + LONGEST_ACCESS_TOKEN_TTL);
  });
});
