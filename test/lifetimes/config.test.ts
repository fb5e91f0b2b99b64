import { describe, expect, it } from 'vitest';
import { asUnavailable } from '../../functions/adapters/aws-errors.ts';
import { errorResponse } from '../../functions/http/errors.ts';
import {
  ConfigurationUnavailableError,
  LifetimeConfigStore,
  settleParameters,
  type LifetimeConfigStoreOptions,
} from '../../functions/lifetimes/config.ts';
import type { ParameterSource } from '../../functions/lifetimes/source.ts';
import { TemporarilyUnavailable } from '../../functions/oauth/errors.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { memoryMetrics } from '../../functions/observability/metrics.ts';

/** A source answering from a mutable record; `failWith` makes the next loads reject, `gate` holds them. */
class FakeSource implements ParameterSource {
  values: Record<string, string>;
  loads = 0;
  failWith: Error | undefined;
  gate: Promise<void> | undefined;

  constructor(values: Record<string, string> = {}) {
    this.values = values;
  }

  async load(): Promise<Map<string, string>> {
    this.loads += 1;
    await this.gate;
    if (this.failWith) throw this.failWith;
    return new Map(Object.entries(this.values));
  }
}

/**
 * The store on a fake source and a clock that starts at the real now and only moves when told.
 * `random` defaults to 1: every wait at its full nominal length, so tests read in round numbers.
 */
function setup(values: Record<string, string> = {}, options: Partial<LifetimeConfigStoreOptions> = {}) {
  const source = new FakeSource(values);
  const clock = { time: Date.now(), now() { return this.time; } };
  const logger = memoryLogger();
  const metrics = memoryMetrics();
  const store = new LifetimeConfigStore({ source, clock, logger, metrics, random: () => 1, ...options });
  /** Moves the clock on, lets the request there start the due refresh, and returns what the next request gets. */
  const refreshAfter = async (ms = 30_000) => {
    clock.time += ms;
    await store.current();
    await settled();
    return store.current();
  };
  return { source, clock, logger, metrics, store, refreshAfter };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Runs every pending promise continuation: a background refresh on a fake source has finished after it. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const never = new Promise<void>(() => {});

/** What the promise resolves to, or 'still waiting' if it is not settled once pending continuations have run. */
const atOnce = <T>(promise: Promise<T>) => Promise.race([promise, settled().then(() => 'still waiting' as const)]);

const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

describe('LifetimeConfigStore options', () => {
  it.each([60_001, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1000'])('refuses maxAgeMs %j with a TypeError', (maxAgeMs) => {
    expect(() => setup({}, { maxAgeMs: maxAgeMs as number })).toThrow(TypeError);
  });

  it('accepts up to 60 s', () => {
    expect(() => setup({}, { maxAgeMs: 60_000 })).not.toThrow();
  });

  it.each([-1, 5001, Number.NaN, '10'])('refuses refreshWaitMs %j with a TypeError', (refreshWaitMs) => {
    expect(() => setup({}, { refreshWaitMs: refreshWaitMs as number })).toThrow(TypeError);
  });

  it('refuses a random that is not a function with a TypeError', () => {
    expect(() => setup({}, { random: 0.5 as unknown as () => number })).toThrow(TypeError);
  });

  it('refuses a missing collaborator with a TypeError', () => {
    const { source, logger, metrics } = setup();
    expect(() => new LifetimeConfigStore({ source, logger, metrics } as unknown as LifetimeConfigStoreOptions)).toThrow(TypeError);
  });
});

describe('LifetimeConfigStore loading', () => {
  it('parses global values, overrides and defaults into a typed snapshot', async () => {
    const { store } = setup({
      access_token_ttl: '600',
      refresh_token_rotation: 'false',
      access_token_format: 'opaque',
      'clients/web/access_token_ttl': '300',
      'audiences/orders/client_credentials_token_ttl': '1800',
    });
    const snapshot = await store.current();
    expect(snapshot.global.access_token_ttl).toBe(600);
    expect(snapshot.global.refresh_token_rotation).toBe(false);
    expect(snapshot.global.access_token_format).toBe('opaque');
    expect(snapshot.global.id_token_ttl).toBe(300);
    expect([...snapshot.globalConfigured].sort()).toEqual(['access_token_format', 'access_token_ttl', 'refresh_token_rotation']);
    expect(snapshot.clients.get('web')).toEqual({ access_token_ttl: 300 });
    expect(snapshot.audiences.get('orders')).toEqual({ client_credentials_token_ttl: 1800 });
    expect(snapshot.held.size).toBe(0);
    expect(snapshot.rejections).toEqual([]);
  });

  it('does not read the source again before the refresh is due', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' }, { maxAgeMs: 5000 });
    expect((await store.current()).global.access_token_ttl).toBe(600);
    source.values = { access_token_ttl: '1200' };
    clock.time += 4999;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    await settled();
    expect(source.loads).toBe(1);
  });

  it('once due, answers from the snapshot at once and refreshes behind it: the next request sees the change', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' }, { maxAgeMs: 5000 });
    const first = await store.current();
    source.values = { access_token_ttl: '1200' };
    clock.time += 5000;
    expect(await store.current()).toBe(first);
    expect(source.loads).toBe(2);
    await settled();
    expect((await store.current()).global.access_token_ttl).toBe(1200);
    expect(source.loads).toBe(2);
  });

  it('is due after 30 s by default', async () => {
    const { store, source, clock } = setup();
    await store.current();
    clock.time += 29_999;
    await store.current();
    expect(source.loads).toBe(1);
    clock.time += 1;
    await store.current();
    expect(source.loads).toBe(2);
  });

  it('treats a clock that went backwards as due', async () => {
    const { store, source, clock } = setup();
    await store.current();
    clock.time -= 1;
    await store.current();
    expect(source.loads).toBe(2);
  });

  it('never waits for the source once it has a snapshot: a refresh that never answers does not block current()', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' });
    const first = await store.current();
    source.gate = never;
    clock.time += 30_000;
    expect(await atOnce(store.current())).toBe(first);
    clock.time += 600_000;
    expect(await atOnce(store.current())).toBe(first);
    // Still the one refresh that hangs: no second one piles up behind it.
    expect(source.loads).toBe(2);
  });

  it('shares one first load between concurrent callers', async () => {
    const { store, source } = setup({ access_token_ttl: '600' });
    const gate = deferred();
    source.gate = gate.promise;
    const callers = [store.current(), store.current(), store.current()];
    gate.resolve();
    const snapshots = await Promise.all(callers);
    expect(source.loads).toBe(1);
    expect(new Set(snapshots).size).toBe(1);
  });

  it('shares one background refresh between the requests that find it due', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' });
    const first = await store.current();
    const gate = deferred();
    source.gate = gate.promise;
    source.values = { access_token_ttl: '1200' };
    clock.time += 30_000;
    const during = await Promise.all([atOnce(store.current()), atOnce(store.current()), atOnce(store.current())]);
    expect(during.every((snapshot) => snapshot === first)).toBe(true);
    expect(source.loads).toBe(2);
    gate.resolve();
    await settled();
    expect((await store.current()).global.access_token_ttl).toBe(1200);
    expect(source.loads).toBe(2);
  });

  it('spreads each due time over [0.8, 1] × maxAgeMs with the injected random, never past maxAgeMs', async () => {
    const draws = [0, 0.5, 7];
    const { store, source, clock } = setup({}, { random: () => draws.shift() ?? 1 });
    const dueAfter = async () => {
      const loads = source.loads;
      let waited = 0;
      while (source.loads === loads) {
        clock.time += 100;
        waited += 100;
        await store.current();
        await settled();
      }
      return waited;
    };
    await store.current();
    // random 0 → 0.8 × 30 s; 0.5 → 0.9 × 30 s; a random outside [0, 1) is clamped, so never past 30 s.
    expect([await dueAfter(), await dueAfter(), await dueAfter()]).toEqual([24_000, 27_000, 30_000]);
  });

  it('with refreshWaitMs, a request that finds the snapshot due waits that long at most for the refresh', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' }, { refreshWaitMs: 20 });
    const first = await store.current();
    source.values = { access_token_ttl: '1200' };
    clock.time += 30_000;
    // A source that answers in time: the very request that started the refresh gets its result.
    expect((await store.current()).global.access_token_ttl).toBe(1200);
    source.gate = never;
    clock.time += 30_000;
    const started = performance.now();
    expect((await store.current()).global.access_token_ttl).toBe(1200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(first.global.access_token_ttl).toBe(600);
  });
});

describe('LifetimeConfigStore guardrails', () => {
  it('keeps the last valid value of a rejected parameter, logs it, counts it, and lets other changes through', async () => {
    const { store, source, refreshAfter, logger, metrics } = setup({ access_token_ttl: '600', id_token_ttl: '300' });
    await store.current();

    source.values = { access_token_ttl: '600s', id_token_ttl: '120' };
    const snapshot = await refreshAfter();
    expect(snapshot.global.access_token_ttl).toBe(600);
    expect(snapshot.global.id_token_ttl).toBe(120);
    expect(snapshot.held.get('access_token_ttl')).toEqual({
      name: 'access_token_ttl',
      rejected: '600s',
      reason: '"600s" is not a whole number of seconds written in decimal digits',
      value: 600,
    });
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        event: 'configuration_rejected',
        fields: {
          parameter: 'access_token_ttl',
          value: '600s',
          reason: '"600s" is not a whole number of seconds written in decimal digits',
          message: 'access_token_ttl: "600s" is not a whole number of seconds written in decimal digits',
        },
      },
    ]);
    expect(metrics.points).toEqual([{ name: 'ConfigurationRejected', dimensions: { Parameter: 'access_token_ttl' }, value: 1 }]);

    source.values = { access_token_ttl: '1200', id_token_ttl: '120' };
    const fixed = await refreshAfter();
    expect(fixed.global.access_token_ttl).toBe(1200);
    expect(fixed.held.size).toBe(0);
  });

  it('keeps holding across loads and reports the rejection on every load', async () => {
    const { store, source, refreshAfter, logger, metrics } = setup({ access_token_ttl: '600' });
    await store.current();
    source.values = { access_token_ttl: '90000' };
    for (let load = 0; load < 2; load += 1) {
      expect((await refreshAfter()).global.access_token_ttl).toBe(600);
    }
    expect(logger.lines.map((line) => line.fields.message)).toEqual([
      'access_token_ttl: 90000 exceeds the hard limit of 86400 seconds',
      'access_token_ttl: 90000 exceeds the hard limit of 86400 seconds',
    ]);
    expect(metrics.points).toHaveLength(2);
  });

  it('uses the default when a parameter never had a valid value, then the value once fixed', async () => {
    const { store, source, refreshAfter } = setup({ access_token_ttl: '90000' });
    const first = await store.current();
    expect(first.global.access_token_ttl).toBe(900);
    expect(first.globalConfigured.has('access_token_ttl')).toBe(false);
    expect(first.held.get('access_token_ttl')).toMatchObject({ rejected: '90000', value: undefined });

    source.values = { access_token_ttl: '1800' };
    expect((await refreshAfter()).global.access_token_ttl).toBe(1800);
  });

  it('keeps last valid per override name: a bad override falls back to its previous value, or to inheriting', async () => {
    const { store, source, refreshAfter } = setup({ 'clients/web/access_token_ttl': '300' });
    await store.current();
    source.values = { 'clients/web/access_token_ttl': '86401', 'clients/spa/access_token_ttl': 'abc' };
    const snapshot = await refreshAfter();
    expect(snapshot.clients.get('web')).toEqual({ access_token_ttl: 300 });
    expect(snapshot.clients.has('spa')).toBe(false);
    expect(snapshot.held.get('clients/web/access_token_ttl')).toMatchObject({ rejected: '86401', value: 300 });
    expect(snapshot.held.get('clients/spa/access_token_ttl')).toMatchObject({ rejected: 'abc', value: undefined });
  });

  it('rejects unknown names and names in a scope that may not set them, without holding anything', async () => {
    const { store, logger, metrics } = setup({ acess_token_ttl: '600', 'clients/x/clock_skew_tolerance': '10' });
    const snapshot = await store.current();
    expect(snapshot.held.size).toBe(0);
    expect(snapshot.clients.size).toBe(0);
    expect(snapshot.rejections.map((rejection) => rejection.name)).toEqual(['acess_token_ttl', 'clients/x/clock_skew_tolerance']);
    expect(logger.lines.map((line) => line.fields.parameter)).toEqual(['acess_token_ttl', 'clients/x/clock_skew_tolerance']);
    expect(metrics.points.map((point) => point.dimensions.Parameter)).toEqual(['acess_token_ttl', 'clients/x/clock_skew_tolerance']);
  });

  it('takes a removed parameter back to its default', async () => {
    const { store, source, refreshAfter } = setup({ access_token_ttl: '600' });
    await store.current();
    source.values = {};
    const snapshot = await refreshAfter();
    expect(snapshot.global.access_token_ttl).toBe(900);
    expect(snapshot.held.size).toBe(0);
  });
});

describe('LifetimeConfigStore cross rules', () => {
  it('reverts a change that puts an absolute lifetime below its idle one', async () => {
    const { store, source, refreshAfter, logger, metrics } = setup({ refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '86400' });
    await store.current();
    source.values = { refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '1800', access_token_ttl: '600' };
    const snapshot = await refreshAfter();
    expect(snapshot.global.refresh_token_absolute_ttl).toBe(86400);
    expect(snapshot.global.refresh_token_idle_ttl).toBe(3600);
    expect(snapshot.global.access_token_ttl).toBe(600);
    expect(snapshot.held.get('refresh_token_absolute_ttl')).toMatchObject({ rejected: '1800', value: 86400 });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.fields).toMatchObject({
      parameter: 'refresh_token_absolute_ttl',
      reason: 'refresh_token_absolute_ttl (1800) is shorter than refresh_token_idle_ttl (3600): an absolute lifetime cannot be below its idle one',
    });
    expect(metrics.points).toEqual([{ name: 'ConfigurationRejected', dimensions: { Parameter: 'refresh_token_absolute_ttl' }, value: 1 }]);
  });

  it('reverts both sides when both changed', async () => {
    const { store, source, refreshAfter } = setup({ session_idle_ttl: '600', session_absolute_ttl: '3600' });
    await store.current();
    source.values = { session_idle_ttl: '7200', session_absolute_ttl: '1200' };
    const snapshot = await refreshAfter();
    expect([snapshot.global.session_idle_ttl, snapshot.global.session_absolute_ttl]).toEqual([600, 3600]);
    expect([...snapshot.held.keys()].sort()).toEqual(['session_absolute_ttl', 'session_idle_ttl']);
  });

  it('on a first load, reverts to the defaults', async () => {
    const { store } = setup({ session_absolute_ttl: '600' });
    const snapshot = await store.current();
    expect(snapshot.global.session_absolute_ttl).toBe(2592000);
    expect(snapshot.held.get('session_absolute_ttl')).toMatchObject({ rejected: '600', value: undefined });
  });

  it('checks client overrides on their effective values, including the global value they inherit', async () => {
    const { store } = setup({
      'clients/kiosk/session_idle_ttl': '60',
      'clients/kiosk/session_absolute_ttl': '30',
      'clients/tv/session_absolute_ttl': '900',
      'clients/web/session_absolute_ttl': '1800',
    });
    const snapshot = await store.current();
    // Both kiosk values changed together, so both are involved and both go back (to inheriting).
    expect(snapshot.clients.has('kiosk')).toBe(false);
    expect(snapshot.clients.has('tv')).toBe(false);
    expect(snapshot.clients.get('web')).toEqual({ session_absolute_ttl: 1800 });
    expect([...snapshot.held.keys()].sort()).toEqual([
      'clients/kiosk/session_absolute_ttl',
      'clients/kiosk/session_idle_ttl',
      'clients/tv/session_absolute_ttl',
    ]);
    expect(snapshot.held.get('clients/tv/session_absolute_ttl')?.reason).toBe(
      'clients/tv/session_absolute_ttl (900) is shorter than session_idle_ttl (1800) for client tv: an absolute lifetime cannot be below its idle one',
    );
  });

  it('keeps a global change from breaking an existing client override (the global change is held)', async () => {
    const { store, source, refreshAfter, logger } = setup({ refresh_token_idle_ttl: '86400', 'clients/mobile/refresh_token_idle_ttl': '7776000' });
    await store.current();
    source.values = { ...source.values, refresh_token_absolute_ttl: '5184000' };
    const snapshot = await refreshAfter();
    expect(snapshot.global.refresh_token_absolute_ttl).toBe(31536000);
    expect(snapshot.clients.get('mobile')).toEqual({ refresh_token_idle_ttl: 7776000 });
    expect(logger.lines[0]?.fields.reason).toMatch(/for client mobile/);
  });

  it('refuses the removal of an override when the removal would break the rule', async () => {
    const values = { 'clients/kiosk/session_idle_ttl': '60', 'clients/kiosk/session_absolute_ttl': '120' };
    const { store, source, refreshAfter } = setup(values);
    await store.current();
    source.values = { 'clients/kiosk/session_absolute_ttl': '120' };
    const snapshot = await refreshAfter();
    expect(snapshot.clients.get('kiosk')).toEqual({ session_idle_ttl: 60, session_absolute_ttl: 120 });
    expect(snapshot.held.get('clients/kiosk/session_idle_ttl')).toMatchObject({ rejected: undefined, value: 60 });
  });

  it('falls back to the defaults if the last valid values cannot keep the rule', () => {
    const previous = new Map([['session_idle_ttl', 7200], ['session_absolute_ttl', 3600]]);
    const settled = settleParameters(new Map([['session_idle_ttl', '7200'], ['session_absolute_ttl', '3600']]), previous);
    expect(settled.accepted.size).toBe(0);
    expect(settled.held.get('session_idle_ttl')?.value).toBeUndefined();
  });
});

/** Steps the clock a second at a time, `requests` calls each step, until the source is read; the time that took. */
async function nextAttempt({ store, source, clock }: ReturnType<typeof setup>, requests = 3): Promise<number> {
  const loads = source.loads;
  const from = clock.time;
  while (source.loads === loads) {
    clock.time += 1000;
    await Promise.allSettled(Array.from({ length: requests }, () => store.current()));
    await settled();
  }
  return clock.time - from;
}

describe('LifetimeConfigStore source failures, with a snapshot', () => {
  it('keeps serving the last snapshot and never throws to a request; one log line and one metric per attempt, not per request', async () => {
    const { store, source, clock, logger, metrics } = setup({ access_token_ttl: '600' });
    const first = await store.current();
    source.failWith = new Error('connect ETIMEDOUT');
    clock.time += 30_000;
    for (let request = 0; request < 5; request += 1) expect(await store.current()).toBe(first);
    await settled();
    for (let request = 0; request < 5; request += 1) expect(await store.current()).toBe(first);
    expect(source.loads).toBe(2);
    expect(logger.lines).toEqual([
      {
        level: 'error',
        event: 'configuration_load_failed',
        fields: { error: 'connect ETIMEDOUT', failures: 1, retryInMs: 30_000, serving: 'last snapshot', snapshotLoadedAt: first.loadedAt },
      },
    ]);
    expect(metrics.points).toEqual([{ name: 'ConfigurationLoadFailed', dimensions: {}, value: 1 }]);
  });

  it('backs off exponentially from maxAgeMs up to 5 minutes, and back to maxAgeMs after a success', async () => {
    const f = setup({ access_token_ttl: '600' });
    await f.store.current();
    f.source.failWith = new Error('connect ETIMEDOUT');
    const waits = [];
    for (let attempt = 0; attempt < 8; attempt += 1) waits.push(await nextAttempt(f));
    // The first wait is the ordinary refresh; each failure then doubles the next one, up to the cap.
    expect(waits).toEqual([30_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
    expect(f.metrics.points).toHaveLength(8);
    expect(f.logger.lines.map((line) => line.fields.retryInMs)).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000, 300_000]);

    f.source.failWith = undefined;
    f.source.values = { access_token_ttl: '1200' };
    expect(await nextAttempt(f)).toBe(300_000);
    expect((await f.store.current()).global.access_token_ttl).toBe(1200);
    expect(await nextAttempt(f)).toBe(30_000);
    f.source.failWith = new Error('connect ETIMEDOUT');
    expect([await nextAttempt(f), await nextAttempt(f)]).toEqual([30_000, 30_000]);
  });

  it('jitters the backoff too, and only ever shortens it', async () => {
    const f = setup({}, { random: () => 0 });
    await f.store.current();
    f.source.failWith = new Error('connect ETIMEDOUT');
    const waits = [];
    for (let attempt = 0; attempt < 4; attempt += 1) waits.push(await nextAttempt(f));
    expect(waits).toEqual([24_000, 24_000, 48_000, 96_000]);
  });

  it('under throttling never reads SSM more often than when it answers, however many requests come', async () => {
    const run = async (failWith: unknown) => {
      // random 0: the shortest waits the jitter allows, the worst case for the call rate.
      const f = setup({ access_token_ttl: '600' }, { random: () => 0 });
      await f.store.current();
      f.source.failWith = failWith as Error | undefined;
      const attempts = [f.clock.time];
      const end = f.clock.time + 1_800_000;
      while (f.clock.time < end) {
        f.clock.time += 1000;
        await Promise.allSettled(Array.from({ length: 10 }, () => f.store.current()));
        await settled();
        if (f.source.loads > attempts.length) attempts.push(f.clock.time);
      }
      const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!);
      return { gaps, logger: f.logger };
    };
    const healthy = await run(undefined);
    // What the SSM client hands on once its own retry is spent: 503 around the SDK's ThrottlingException.
    const throttled = await run(asUnavailable(throttling(), 'SSM'));
    expect(throttled.gaps.length).toBeLessThan(healthy.gaps.length);
    expect(Math.min(...throttled.gaps)).toBeGreaterThanOrEqual(Math.min(...healthy.gaps));
    expect(throttled.gaps).toEqual([...throttled.gaps].sort((a, b) => a - b));
    expect(throttled.logger.lines[0]?.fields.error).toBe('SSM unavailable (ThrottlingException: Rate exceeded)');
  });

  it('starts no timer: nothing keeps a process alive or fires in a frozen environment', async () => {
    const { store, source, clock } = setup();
    await store.current();
    source.gate = never;
    clock.time += 30_000;
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const answer = store.current();
    expect(timers()).toBe(before);
    await answer;
  });
});

describe('LifetimeConfigStore source failures, cold', () => {
  const refusal = (store: LifetimeConfigStore) =>
    store.current().then(
      () => expect.unreachable('current() should have rejected'),
      (error: unknown) => error as ConfigurationUnavailableError,
    );

  it('refuses with 503 temporarily_unavailable and Retry-After, never with the defaults', async () => {
    const { store, source, logger, metrics } = setup({ access_token_ttl: '600' });
    const cause = new Error('connect ETIMEDOUT');
    source.failWith = cause;
    const error = await refusal(store);
    expect(error).toBeInstanceOf(ConfigurationUnavailableError);
    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect(error).toMatchObject({ name: 'ConfigurationUnavailableError', code: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': '1' } });
    expect(error.expose).toBe(true);
    expect(error.cause).toMatchObject({ message: 'lifetime configuration unavailable: the parameter source has never been read (connect ETIMEDOUT)', cause });
    expect(logger.lines).toEqual([
      { level: 'error', event: 'configuration_load_failed', fields: { error: 'connect ETIMEDOUT', failures: 1, retryInMs: 1000, serving: 'nothing' } },
    ]);
    expect(metrics.points.map((point) => point.name)).toEqual(['ConfigurationLoadFailed']);
  });

  it('is answered by the HTTP layer as RFC 6749 §5.2 JSON with Retry-After, the cause only in the log', async () => {
    const { store, source } = setup();
    source.failWith = new Error('connect ETIMEDOUT');
    const logger = memoryLogger();
    const response = errorResponse(await refusal(store), logger);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '1' });
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable: retry the request' });
    expect(logger.lines).toMatchObject([{ level: 'warn', event: 'dependency_unavailable', fields: { error: expect.stringContaining('connect ETIMEDOUT') } }]);
  });

  it('does not call the source again until the retry is due: meanwhile every request is refused at once, with the time left', async () => {
    const { store, source, clock, logger, metrics } = setup();
    source.failWith = new Error('connect ETIMEDOUT');
    const waits = [1, 2, 4, 8, 16, 30, 30];
    expect((await refusal(store)).headers['Retry-After']).toBe('1');
    for (let attempt = 1; attempt < waits.length; attempt += 1) {
      clock.time += waits[attempt - 1]! * 1000 - 1;
      for (let request = 0; request < 3; request += 1) expect((await refusal(store)).headers['Retry-After']).toBe('1');
      expect(source.loads).toBe(attempt);
      clock.time += 1;
      expect((await refusal(store)).headers['Retry-After']).toBe(String(waits[attempt]));
      expect(source.loads).toBe(attempt + 1);
    }
    expect(logger.lines).toHaveLength(waits.length);
    expect(metrics.points).toHaveLength(waits.length);
  });

  it('refuses meanwhile with the last failure as the cause, for the log', async () => {
    const { store, source, clock } = setup();
    source.failWith = new Error('connect ETIMEDOUT');
    await refusal(store);
    clock.time += 500;
    const later = await refusal(store);
    expect(later).toBeInstanceOf(ConfigurationUnavailableError);
    expect((later.cause as Error).cause).toBe(source.failWith);
  });

  it('shares the first load between concurrent callers, also when it fails: one call, one log line, one metric', async () => {
    const { store, source, logger, metrics } = setup();
    const gate = deferred();
    source.gate = gate.promise;
    source.failWith = new Error('connect ETIMEDOUT');
    const callers = Promise.allSettled([store.current(), store.current(), store.current()]);
    gate.resolve();
    const outcomes = await callers;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(source.loads).toBe(1);
    expect(logger.lines).toHaveLength(1);
    expect(metrics.points).toHaveLength(1);
  });

  it('recovers once the retry is due and the source answers; a later failure backs off from maxAgeMs again', async () => {
    const f = setup({ access_token_ttl: '600' });
    f.source.failWith = new Error('connect ETIMEDOUT');
    await refusal(f.store);
    f.clock.time += 1000;
    await refusal(f.store);
    f.source.failWith = undefined;
    f.clock.time += 1999;
    await refusal(f.store);
    f.clock.time += 1;
    expect((await f.store.current()).global.access_token_ttl).toBe(600);
    expect(f.source.loads).toBe(3);
    f.source.failWith = new Error('connect ETIMEDOUT');
    expect([await nextAttempt(f), await nextAttempt(f), await nextAttempt(f)]).toEqual([30_000, 30_000, 60_000]);
  });
});
