import { describe, expect, it } from 'vitest';
import { settleParameters, snapshotOf, type LifetimeSnapshot } from '../../functions/lifetimes/config.ts';
import { PARAMETER_NAMES, defaultValues, type ParameterValue } from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes } from '../../functions/lifetimes/resolver.ts';

/** A snapshot as the store would build it from these raw values, after `previous` was in use. */
function snapshot(raw: Record<string, string>, previous: Record<string, ParameterValue> = {}): LifetimeSnapshot {
  return snapshotOf(settleParameters(new Map(Object.entries(raw)), new Map(Object.entries(previous))), 0);
}

describe('resolveLifetimes precedence', () => {
  it('gives every default, marked as such, when nothing is configured', () => {
    const resolved = resolveLifetimes(snapshot({}));
    const defaults = defaultValues();
    for (const name of PARAMETER_NAMES) expect(resolved[name], name).toEqual({ value: defaults[name], source: 'default' });
    expect(resolved.warnings).toEqual([]);
  });

  it('takes a global parameter over the default', () => {
    const resolved = resolveLifetimes(snapshot({ access_token_ttl: '600', access_token_format: 'opaque' }));
    expect(resolved.access_token_ttl).toEqual({ value: 600, source: 'global' });
    expect(resolved.access_token_format).toEqual({ value: 'opaque', source: 'global' });
    expect(resolved.id_token_ttl.source).toBe('default');
  });

  it('takes an audience override over the global value, only for that audience', () => {
    const config = snapshot({ access_token_ttl: '600', 'audiences/payments/access_token_ttl': '120' });
    expect(resolveLifetimes(config, { audience: 'payments' }).access_token_ttl).toEqual({ value: 120, source: 'audience' });
    expect(resolveLifetimes(config, { audience: 'orders' }).access_token_ttl).toEqual({ value: 600, source: 'global' });
    expect(resolveLifetimes(config, { clientId: 'web' }).access_token_ttl).toEqual({ value: 600, source: 'global' });
  });

  it('takes a client override over the audience, global and default values', () => {
    const config = snapshot({
      access_token_format: 'opaque',
      'audiences/payments/access_token_format': 'opaque',
      'clients/web/access_token_format': 'jwt',
      'clients/web/id_token_ttl': '120',
      'clients/web/refresh_token_rotation': 'false',
    });
    const resolved = resolveLifetimes(config, { clientId: 'web', audience: 'payments' });
    expect(resolved.access_token_format).toEqual({ value: 'jwt', source: 'client' });
    expect(resolved.id_token_ttl).toEqual({ value: 120, source: 'client' });
    expect(resolved.refresh_token_rotation).toEqual({ value: false, source: 'client' });
    expect(resolveLifetimes(config, { clientId: 'other', audience: 'payments' }).access_token_format).toEqual({ value: 'opaque', source: 'audience' });
  });

  it('lets the shorter win when both a client and an audience override a lifetime', () => {
    const config = snapshot({
      'clients/web/access_token_ttl': '600',
      'audiences/payments/access_token_ttl': '300',
      'clients/web/client_credentials_token_ttl': '900',
      'audiences/payments/client_credentials_token_ttl': '1800',
      'clients/web/access_token_ttl_browser': '120',
      'audiences/payments/access_token_ttl_browser': '120',
    });
    const resolved = resolveLifetimes(config, { clientId: 'web', audience: 'payments' });
    expect(resolved.access_token_ttl).toEqual({ value: 300, source: 'audience' });
    expect(resolved.client_credentials_token_ttl).toEqual({ value: 900, source: 'client' });
    expect(resolved.access_token_ttl_browser).toEqual({ value: 120, source: 'client' });
  });

  it('does not throw for an id that cannot name an override', () => {
    const resolved = resolveLifetimes(snapshot({ access_token_ttl: '600' }), { clientId: 'a/b', audience: 'https://api.example.com/' });
    expect(resolved.access_token_ttl).toEqual({ value: 600, source: 'global' });
  });
});

describe('resolveLifetimes browser rule', () => {
  it('gives public clients the browser lifetime when it is shorter', () => {
    const config = snapshot({});
    expect(resolveLifetimes(config, { clientId: 'spa', clientType: 'public' }).access_token_ttl).toEqual({ value: 300, source: 'browser' });
    expect(resolveLifetimes(config, { clientId: 'api', clientType: 'confidential' }).access_token_ttl).toEqual({ value: 900, source: 'default' });
    expect(resolveLifetimes(config, { clientId: 'api' }).access_token_ttl).toEqual({ value: 900, source: 'default' });
  });

  it('keeps access_token_ttl when it is already the shorter', () => {
    const resolved = resolveLifetimes(snapshot({ access_token_ttl: '200' }), { clientType: 'public' });
    expect(resolved.access_token_ttl).toEqual({ value: 200, source: 'global' });
  });

  it('resolves both values with the same precedence before taking the minimum', () => {
    const config = snapshot({
      'audiences/payments/access_token_ttl': '600',
      'audiences/payments/access_token_ttl_browser': '120',
      'clients/spa/access_token_ttl_browser': '60',
    });
    expect(resolveLifetimes(config, { clientType: 'public', audience: 'payments' }).access_token_ttl).toEqual({ value: 120, source: 'browser' });
    expect(resolveLifetimes(config, { clientId: 'spa', clientType: 'public' }).access_token_ttl).toEqual({ value: 60, source: 'browser' });
  });

  it('yields to the client’s own access_token_ttl override', () => {
    const config = snapshot({ 'clients/spa/access_token_ttl': '600' });
    expect(resolveLifetimes(config, { clientId: 'spa', clientType: 'public' }).access_token_ttl).toEqual({ value: 600, source: 'client' });
    expect(resolveLifetimes(config, { clientId: 'other', clientType: 'public' }).access_token_ttl).toEqual({ value: 300, source: 'browser' });
  });
});

describe('resolveLifetimes guardrail source', () => {
  it('marks a global value kept after a rejection, with what was rejected and why', () => {
    const resolved = resolveLifetimes(snapshot({ access_token_ttl: '90000' }, { access_token_ttl: 600 }));
    expect(resolved.access_token_ttl).toEqual({
      value: 600,
      source: 'guardrail',
      rejected: { name: 'access_token_ttl', value: '90000', reason: '90000 exceeds the hard limit of 86400 seconds' },
    });
  });

  it('marks a default in use because the only configured value was rejected', () => {
    const resolved = resolveLifetimes(snapshot({ access_token_format: 'JWT' }));
    expect(resolved.access_token_format).toMatchObject({ value: 'jwt', source: 'guardrail', rejected: { name: 'access_token_format', value: 'JWT' } });
  });

  it('marks an inherited value in use because the client override was rejected, for that client only', () => {
    const config = snapshot({ access_token_ttl: '600', 'clients/web/access_token_ttl': '-5' });
    expect(resolveLifetimes(config, { clientId: 'web' }).access_token_ttl).toMatchObject({
      value: 600,
      source: 'guardrail',
      rejected: { name: 'clients/web/access_token_ttl', value: '-5' },
    });
    expect(resolveLifetimes(config, { clientId: 'other' }).access_token_ttl).toEqual({ value: 600, source: 'global' });
  });

  it('marks a client override kept at its last valid value', () => {
    const config = snapshot({ 'clients/web/id_token_ttl': '86401' }, { 'clients/web/id_token_ttl': 120 });
    expect(resolveLifetimes(config, { clientId: 'web' }).id_token_ttl).toMatchObject({ value: 120, source: 'guardrail' });
  });

  it('does not blame the guardrail when a valid override wins over a held global value', () => {
    const config = snapshot({ access_token_ttl: 'x', 'clients/web/access_token_ttl': '120' });
    expect(resolveLifetimes(config, { clientId: 'web' }).access_token_ttl).toEqual({ value: 120, source: 'client' });
  });
});

describe('resolveLifetimes warnings', () => {
  it('apply to the effective values', () => {
    const config = snapshot({ access_token_ttl: '7200', 'clients/legacy/refresh_token_rotation': 'false' });
    expect(resolveLifetimes(config).warnings.map((warning) => warning.code)).toEqual(['ACCESS_TOKEN_TTL_LONG']);
    // The browser rule brings a public client back to 300 s: nothing to warn about there.
    expect(resolveLifetimes(config, { clientType: 'public' }).warnings).toEqual([]);
    expect(resolveLifetimes(config, { clientId: 'legacy' }).warnings.map((warning) => warning.code)).toEqual([
      'ACCESS_TOKEN_TTL_LONG',
      'REFRESH_TOKEN_ROTATION_OFF',
    ]);
  });

  it('follow an override that shortens the value', () => {
    const config = snapshot({ access_token_ttl: '7200', 'clients/web/access_token_ttl': '600' });
    expect(resolveLifetimes(config, { clientId: 'web' }).warnings).toEqual([]);
  });
});

describe('resolveLifetimes, worked out once per snapshot', () => {
  it('answers the same context of the same snapshot with the same frozen result, and each new snapshot afresh', () => {
    const first = snapshot({ access_token_ttl: '600', 'clients/web/access_token_ttl': '300' });
    const web = resolveLifetimes(first, { clientId: 'web', clientType: 'confidential' });
    expect(resolveLifetimes(first, { clientId: 'web', clientType: 'confidential' })).toBe(web);
    expect(Object.isFrozen(web) && Object.isFrozen(web.access_token_ttl) && Object.isFrozen(web.warnings)).toBe(true);
    expect(() => {
      (web.access_token_ttl as { value: number }).value = 1;
    }).toThrow(TypeError);
    expect(web.access_token_ttl).toEqual({ value: 300, source: 'client' });
    expect(resolveLifetimes(first, { clientId: 'web', clientType: 'public' })).not.toBe(web);
    expect(resolveLifetimes(first, { clientId: 'other' }).access_token_ttl).toEqual({ value: 600, source: 'global' });
    expect(resolveLifetimes(first, { audience: 'web' }).access_token_ttl).toEqual({ value: 600, source: 'global' });

    const second = snapshot({ access_token_ttl: '600', 'clients/web/access_token_ttl': '120' });
    expect(resolveLifetimes(second, { clientId: 'web', clientType: 'confidential' }).access_token_ttl).toEqual({ value: 120, source: 'client' });
  });

  it('stays correct past its bound of contexts per snapshot', () => {
    const one = snapshot({ 'clients/c7/access_token_ttl': '300' });
    for (let index = 0; index < 3000; index += 1) {
      expect(resolveLifetimes(one, { clientId: `c${index}` }).access_token_ttl.value).toBe(index === 7 ? 300 : 900);
    }
  });
});
