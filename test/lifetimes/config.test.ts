import { describe, expect, it } from 'vitest';
import {
  ConfigurationUnavailableError,
  LifetimeConfigStore,
  settleParameters,
  type LifetimeConfigStoreOptions,
} from '../../functions/lifetimes/config.ts';
import type { ParameterSource } from '../../functions/lifetimes/source.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { memoryMetrics } from '../../functions/observability/metrics.ts';

/** A source answering from a mutable record; `failWith` makes the next loads reject. */
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

function setup(values: Record<string, string> = {}, options: Partial<LifetimeConfigStoreOptions> = {}) {
  const source = new FakeSource(values);
  const clock = { time: Date.now(), now() { return this.time; } };
  const logger = memoryLogger();
  const metrics = memoryMetrics();
  const store = new LifetimeConfigStore({ source, clock, logger, metrics, ...options });
  return { source, clock, logger, metrics, store };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('LifetimeConfigStore options', () => {
  it.each([60_001, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1000'])('refuses maxAgeMs %j with a TypeError', (maxAgeMs) => {
    expect(() => setup({}, { maxAgeMs: maxAgeMs as number })).toThrow(TypeError);
  });

  it('accepts up to 60 s', () => {
    expect(() => setup({}, { maxAgeMs: 60_000 })).not.toThrow();
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

  it('does not load again before maxAge, and does after', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' }, { maxAgeMs: 5000 });
    expect((await store.current()).global.access_token_ttl).toBe(600);
    source.values = { access_token_ttl: '1200' };
    clock.time += 4999;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect(source.loads).toBe(1);
    clock.time += 1;
    expect((await store.current()).global.access_token_ttl).toBe(1200);
    expect(source.loads).toBe(2);
  });

  it('caches for 30 s by default', async () => {
    const { store, source, clock } = setup();
    await store.current();
    clock.time += 29_999;
    await store.current();
    expect(source.loads).toBe(1);
    clock.time += 1;
    await store.current();
    expect(source.loads).toBe(2);
  });

  it('treats a clock that went backwards as expired', async () => {
    const { store, source, clock } = setup();
    await store.current();
    clock.time -= 1;
    await store.current();
    expect(source.loads).toBe(2);
  });

  it('shares one load between concurrent callers (single flight), also on expiry', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '600' });
    const gate = deferred();
    source.gate = gate.promise;
    const callers = [store.current(), store.current(), store.current()];
    gate.resolve();
    const snapshots = await Promise.all(callers);
    expect(source.loads).toBe(1);
    expect(new Set(snapshots).size).toBe(1);

    clock.time += 30_000;
    const again = deferred();
    source.gate = again.promise;
    const later = [store.current(), store.current()];
    again.resolve();
    await Promise.all(later);
    expect(source.loads).toBe(2);
  });
});

describe('LifetimeConfigStore guardrails', () => {
  it('keeps the last valid value of a rejected parameter, logs it, counts it, and lets other changes through', async () => {
    const { store, source, clock, logger, metrics } = setup({ access_token_ttl: '600', id_token_ttl: '300' });
    await store.current();

    source.values = { access_token_ttl: '600s', id_token_ttl: '120' };
    clock.time += 30_000;
    const snapshot = await store.current();
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
    clock.time += 30_000;
    const fixed = await store.current();
    expect(fixed.global.access_token_ttl).toBe(1200);
    expect(fixed.held.size).toBe(0);
  });

  it('keeps holding across loads and reports the rejection on every load', async () => {
    const { store, source, clock, logger, metrics } = setup({ access_token_ttl: '600' });
    await store.current();
    source.values = { access_token_ttl: '90000' };
    for (let load = 0; load < 2; load += 1) {
      clock.time += 30_000;
      expect((await store.current()).global.access_token_ttl).toBe(600);
    }
    expect(logger.lines.map((line) => line.fields.message)).toEqual([
      'access_token_ttl: 90000 exceeds the hard limit of 86400 seconds',
      'access_token_ttl: 90000 exceeds the hard limit of 86400 seconds',
    ]);
    expect(metrics.points).toHaveLength(2);
  });

  it('uses the default when a parameter never had a valid value, then the value once fixed', async () => {
    const { store, source, clock } = setup({ access_token_ttl: '90000' });
    const first = await store.current();
    expect(first.global.access_token_ttl).toBe(900);
    expect(first.globalConfigured.has('access_token_ttl')).toBe(false);
    expect(first.held.get('access_token_ttl')).toMatchObject({ rejected: '90000', value: undefined });

    source.values = { access_token_ttl: '1800' };
    clock.time += 30_000;
    expect((await store.current()).global.access_token_ttl).toBe(1800);
  });

  it('keeps last valid per override name: a bad override falls back to its previous value, or to inheriting', async () => {
    const { store, source, clock } = setup({ 'clients/web/access_token_ttl': '300' });
    await store.current();
    source.values = { 'clients/web/access_token_ttl': '86401', 'clients/spa/access_token_ttl': 'abc' };
    clock.time += 30_000;
    const snapshot = await store.current();
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
    const { store, source, clock } = setup({ access_token_ttl: '600' });
    await store.current();
    source.values = {};
    clock.time += 30_000;
    const snapshot = await store.current();
    expect(snapshot.global.access_token_ttl).toBe(900);
    expect(snapshot.held.size).toBe(0);
  });
});

describe('LifetimeConfigStore cross rules', () => {
  it('reverts a change that puts an absolute lifetime below its idle one', async () => {
    const { store, source, clock, logger, metrics } = setup({ refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '86400' });
    await store.current();
    source.values = { refresh_token_idle_ttl: '3600', refresh_token_absolute_ttl: '1800', access_token_ttl: '600' };
    clock.time += 30_000;
    const snapshot = await store.current();
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
    const { store, source, clock } = setup({ session_idle_ttl: '600', session_absolute_ttl: '3600' });
    await store.current();
    source.values = { session_idle_ttl: '7200', session_absolute_ttl: '1200' };
    clock.time += 30_000;
    const snapshot = await store.current();
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
    const { store, source, clock, logger } = setup({ refresh_token_idle_ttl: '86400', 'clients/mobile/refresh_token_idle_ttl': '7776000' });
    await store.current();
    source.values = { ...source.values, refresh_token_absolute_ttl: '5184000' };
    clock.time += 30_000;
    const snapshot = await store.current();
    expect(snapshot.global.refresh_token_absolute_ttl).toBe(31536000);
    expect(snapshot.clients.get('mobile')).toEqual({ refresh_token_idle_ttl: 7776000 });
    expect(logger.lines[0]?.fields.reason).toMatch(/for client mobile/);
  });

  it('refuses the removal of an override when the removal would break the rule', async () => {
    const values = { 'clients/kiosk/session_idle_ttl': '60', 'clients/kiosk/session_absolute_ttl': '120' };
    const { store, source, clock } = setup(values);
    await store.current();
    source.values = { 'clients/kiosk/session_absolute_ttl': '120' };
    clock.time += 30_000;
    const snapshot = await store.current();
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

describe('LifetimeConfigStore source failures', () => {
  it('keeps serving the last snapshot, logs an error, and retries only after maxAge', async () => {
    const { store, source, clock, logger, metrics } = setup({ access_token_ttl: '600' });
    const first = await store.current();
    source.failWith = new Error('ThrottlingException: Rate exceeded');
    clock.time += 30_000;
    expect(await store.current()).toBe(first);
    expect(logger.lines).toMatchObject([
      { level: 'error', event: 'configuration_load_failed', fields: { error: 'ThrottlingException: Rate exceeded', snapshotLoadedAt: first.loadedAt } },
    ]);
    expect(metrics.points.map((point) => point.name)).toEqual(['ConfigurationLoadFailed']);

    clock.time += 29_999;
    await store.current();
    expect(source.loads).toBe(2);

    source.failWith = undefined;
    source.values = { access_token_ttl: '1200' };
    clock.time += 1;
    expect((await store.current()).global.access_token_ttl).toBe(1200);
  });

  it('throws on a cold start that cannot load, rather than running on defaults, and retries on the next call', async () => {
    const { store, source, logger } = setup({ access_token_ttl: '600' });
    const cause = new Error('connect ETIMEDOUT');
    source.failWith = cause;
    const failure = store.current();
    await expect(failure).rejects.toBeInstanceOf(ConfigurationUnavailableError);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_LIFETIMES_UNAVAILABLE', cause });
    expect(logger.lines[0]).toMatchObject({ level: 'error', event: 'configuration_load_failed' });

    source.failWith = undefined;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect(source.loads).toBe(2);
  });
});
