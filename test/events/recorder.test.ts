import { describe, expect, it } from 'vitest';
import { boundedRecorder, newEvent, type EventOutbox } from '../../functions/events/recorder.ts';
import type { SecurityEvent } from '../../functions/events/security-event.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { METRICS, memoryMetrics } from '../../functions/observability/metrics.ts';
import { withRequestContext } from '../../functions/observability/request-context.ts';
import { TestClock } from '../support/clock.ts';

function setup(put: EventOutbox['put'], budgetMs = 50) {
  const logger = memoryLogger();
  const metrics = memoryMetrics();
  const clock = new TestClock();
  const recorder = boundedRecorder({ outbox: { put }, stage: 'test', clock, logger, metrics: () => metrics, budgetMs });
  return { recorder, logger, metrics, clock };
}

describe('the recorder of the functions that serve requests', () => {
  it('puts the event in the outbox with the request id, a fresh id each time, kept past the stream window', async () => {
    const put: Array<[SecurityEvent, number]> = [];
    const { recorder, clock } = setup(async (event, keepUntil) => {
      put.push([event, keepUntil]);
      return true;
    });
    await withRequestContext({ request_id: 'req-1' }, () => recorder.record({ type: 'user_event_received', facts: { subject: 'alice', reason: 'mfa_changed' } }));
    await recorder.record({ type: 'user_event_received', facts: { subject: 'alice', reason: 'mfa_changed' } });
    expect(put).toHaveLength(2);
    expect(put[0]![0]).toMatchObject({ type: 'user_event_received', time: clock.seconds, facts: { subject: 'alice', reason: 'mfa_changed', request_id: 'req-1' } });
    expect(put[1]![0].facts.request_id).toBeUndefined();
    expect(put[0]![0].id).not.toBe(put[1]![0].id);
    expect(put[0]![1]).toBe(clock.seconds + 2 * 86_400);
  });

  it('records an event `once` under one id per key, and writes it once in this environment until its window ends', async () => {
    const put: SecurityEvent[] = [];
    const { recorder, clock } = setup(async (event) => {
      put.push(event);
      return true;
    });
    const once = (key: string) => ({ type: 'rate_limit_tripped' as const, facts: { reason: 'refresh' }, once: { key, until: clock.seconds + 60 } });
    await recorder.record(once('family-a'));
    await recorder.record(once('family-a'));
    await recorder.record(once('family-b'));
    expect(put.map((event) => event.id)).toHaveLength(2);
    expect(put[0]!.id).not.toBe(put[1]!.id);
    // Another environment derives the same id: the outbox's conditional put keeps one.
    const other = setup(async (event) => {
      put.push(event);
      return false;
    });
    await other.recorder.record(once('family-a'));
    expect(put[2]!.id).toBe(put[0]!.id);
  });

  it('never holds a request longer than its budget, even when the outbox does not answer', async () => {
    const { recorder, logger } = setup(() => new Promise<boolean>(() => undefined), 50);
    const started = Date.now();
    await recorder.record({ type: 'user_event_received', facts: { subject: 'bob', reason: 'compromised' } });
    expect(Date.now() - started).toBeLessThan(500);
    expect(logger.lines).toEqual([]);
  });

  it('never fails a request: a failed write is logged (without the event\'s facts) and counted', async () => {
    const { recorder, logger, metrics } = setup(async () => {
      throw Object.assign(new Error('boom'), { name: 'ThrottlingException' });
    });
    await expect(recorder.record({ type: 'rate_limit_tripped', facts: { client_id: 'c', reason: 'client_auth_failures' } })).resolves.toBeUndefined();
    expect(logger.lines).toEqual([{ level: 'error', event: 'security_event_failed', fields: { type: 'rate_limit_tripped', event_id: expect.any(String), error: 'ThrottlingException' } }]);
    expect(metrics.points).toEqual([{ name: METRICS.securityEventFailures, dimensions: {}, value: 1 }]);
  });

  it('leaves the request id out of work done behind requests', async () => {
    const put: SecurityEvent[] = [];
    const { recorder } = setup(async (event) => {
      put.push(event);
      return true;
    });
    await withRequestContext({ request_id: 'unrelated' }, () =>
      recorder.record({ type: 'configuration_rejected', facts: { parameter: 'access_token_ttl' }, once: { key: 'k', until: 1 }, outsideRequest: true }),
    );
    expect(put[0]!.facts).toEqual({ parameter: 'access_token_ttl' });
    expect(newEvent('session_ended', {}, new TestClock()).id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
