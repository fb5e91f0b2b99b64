import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECORD_BUDGET_MS } from '../../functions/events/recorder.ts';
import { METRICS } from '../../functions/observability/metrics.ts';
import { touchesPartition } from '../support/dynamodb-faults.ts';
import { TestClock } from '../support/clock.ts';
import { records } from '../support/output.ts';
import { faultyTokenFunction } from './harness.ts';

type Fn = Awaited<ReturnType<typeof faultyTokenFunction>>;

let fn: Fn | undefined;
afterEach(async () => {
  await fn?.close();
  fn = undefined;
});

/**
 * A security event that no item change shows is recorded by the request that sees it (here a
 * family found expired at a refresh). Recording it failing must never fail or hold that request.
 */
describe('a request whose security event cannot be recorded', () => {
  /**
   * A family past its idle lifetime, by the function's clock. Its item's TTL lies a minute ahead
   * on the real clock, so DynamoDB Local (which deletes expired items on the real clock) keeps it:
   * the refresh must find it expired, not absent.
   */
  const clock = new TestClock();
  const expiredFamily = async (f: Fn) => {
    const issued = await f.exchange();
    clock.advance(61);
    return issued.refresh_token;
  };

  it('answers as it would (invalid_grant), the event logged and counted as failed', async () => {
    const f = (fn = await faultyTokenFunction({ refresh_token_idle_ttl: '60' }, { clock }));
    const token = await expiredFamily(f);
    f.proxy.fail({ operation: 'PutItem', mode: 'server_error', match: touchesPartition('EVENT#') });
    const answer = await f.refresh(token);
    expect(answer.status, answer.raw).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client' });
    // What happened goes to the request's log line only.
    expect(records(f.lines).filter((line) => line['event'] === 'oauth_error')).toEqual([
      expect.objectContaining({ level: 'info', error: 'invalid_grant', status: 400, detail: 'refresh token expired' }),
    ]);
    const failed = records(f.lines).filter((line) => line['event'] === 'security_event_failed');
    expect(failed).toEqual([expect.objectContaining({ level: 'error', type: 'family_expired', error: expect.any(String) })]);
    expect(JSON.stringify(failed)).not.toContain(token);
    // The metric line leaves when the request's metrics flush: wait for it rather than a fixed time.
    await vi.waitFor(() => expect(records(f.lines).some((line) => line[METRICS.securityEventFailures] === 1)).toBe(true), { timeout: 3_000 });
  });

  it('does not wait for an outbox that does not answer longer than its budget', async () => {
    const f = (fn = await faultyTokenFunction({ refresh_token_idle_ttl: '60' }, { clock }));
    const token = await expiredFamily(f);
    const answerWithout = async () => {
      const started = Date.now();
      const answer = await f.refresh(token);
      return { answer, ms: Date.now() - started };
    };
    f.proxy.fail({ operation: 'PutItem', mode: 'hang', match: touchesPartition('EVENT#') });
    const { answer, ms } = await answerWithout();
    expect(answer.status, answer.raw).toBe(400);
    expect(answer.body['error']).toBe('invalid_grant');
    // The lifetimes, client and family reads of a refresh, plus the event's budget at most.
    expect(ms).toBeLessThan(RECORD_BUDGET_MS + 1_000);
    expect(f.proxy.requestsFor('PutItem').some((request) => request.outcome === 'hang')).toBe(true);
  });
});
