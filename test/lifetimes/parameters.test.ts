import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  PARAMETERS,
  PARAMETER_NAMES,
  defaultValues,
  parameterPath,
  parameterPrefix,
  parseRelativeName,
  relativeName,
  type LifetimeValues,
  type ParameterScope,
} from '../../functions/lifetimes/parameters.ts';
import { checkValue } from '../../functions/lifetimes/guardrails.ts';

const DESIGN_DEFAULTS = {
  access_token_ttl: 900,
  access_token_ttl_browser: 300,
  client_credentials_token_ttl: 3600,
  id_token_ttl: 300,
  refresh_token_idle_ttl: 2592000,
  refresh_token_absolute_ttl: 31536000,
  refresh_token_rotation: true,
  refresh_token_reuse_interval: 0,
  session_idle_ttl: 1800,
  session_absolute_ttl: 2592000,
  authorization_code_ttl: 600,
  device_code_ttl: 300,
  introspection_cache_ttl: 60,
  clock_skew_tolerance: 30,
  access_token_format: 'jwt',
  revoke_refresh_on_password_change: true,
  end_sessions_on_password_change: true,
  revoke_all_on_logout: false,
  // Rate limits (issue 4): parameters like the lifetimes, so they are tuned the same way.
  rate_limit_window: 60,
  refresh_rate_limit: 10,
  client_auth_failure_limit: 10,
  dpop_nonce_required: false,
};

const scopesOf = (name: keyof typeof PARAMETERS): readonly ParameterScope[] => PARAMETERS[name].scopes;

describe('the parameter table', () => {
  it('holds exactly the parameters of DESIGN.md §4 with their defaults', () => {
    expect(defaultValues()).toEqual(DESIGN_DEFAULTS);
    expect([...PARAMETER_NAMES].sort()).toEqual(Object.keys(DESIGN_DEFAULTS).sort());
  });

  it('types the values from the table', () => {
    expectTypeOf<LifetimeValues['access_token_ttl']>().toEqualTypeOf<number>();
    expectTypeOf<LifetimeValues['refresh_token_rotation']>().toEqualTypeOf<boolean>();
    expectTypeOf<LifetimeValues['access_token_format']>().toEqualTypeOf<'jwt' | 'opaque'>();
    expectTypeOf<keyof LifetimeValues>().toEqualTypeOf<keyof typeof DESIGN_DEFAULTS>();
  });

  it('has defaults that pass its own guardrails', () => {
    for (const name of PARAMETER_NAMES) {
      expect(checkValue(name, String(PARAMETERS[name].default)), name).toEqual({ ok: true, value: PARAMETERS[name].default });
    }
  });

  it('lets audiences override only access-token settings', () => {
    const audience = PARAMETER_NAMES.filter((name) => scopesOf(name).includes('audience'));
    expect(audience.sort()).toEqual(['access_token_format', 'access_token_ttl', 'access_token_ttl_browser', 'client_credentials_token_ttl']);
  });

  it('lets clients override every lifetime and the rotation settings, nothing global-only', () => {
    const globalOnly = PARAMETER_NAMES.filter((name) => !scopesOf(name).includes('client'));
    expect(globalOnly.sort()).toEqual([
      'clock_skew_tolerance',
      'end_sessions_on_password_change',
      'introspection_cache_ttl',
      'rate_limit_window',
      'revoke_all_on_logout',
      'revoke_refresh_on_password_change',
    ]);
    for (const name of PARAMETER_NAMES) expect(scopesOf(name), name).toContain('global');
  });

  it('describes every parameter', () => {
    for (const name of PARAMETER_NAMES) expect(PARAMETERS[name].description.length, name).toBeGreaterThan(10);
  });
});

describe('SSM names', () => {
  it('puts a stage under /lifespan/', () => {
    expect(parameterPrefix('prod')).toBe('/lifespan/prod/');
    expect(parameterPath('dev', 'clients/web/access_token_ttl')).toBe('/lifespan/dev/clients/web/access_token_ttl');
  });

  it.each(['', 'a/b', 'pro d', 'stage:1'])('refuses the stage %j with a TypeError', (stage) => {
    expect(() => parameterPrefix(stage)).toThrow(TypeError);
  });

  it('builds relative names per scope', () => {
    expect(relativeName('access_token_ttl')).toBe('access_token_ttl');
    expect(relativeName('access_token_ttl', { scope: 'client', id: 'web' })).toBe('clients/web/access_token_ttl');
    expect(relativeName('access_token_ttl', { scope: 'audience', id: 'orders-api' })).toBe('audiences/orders-api/access_token_ttl');
    expect(() => relativeName('access_token_ttl', { scope: 'client', id: 'a/b' })).toThrow(TypeError);
  });

  it('parses the relative-name grammar and nothing else', () => {
    expect(parseRelativeName('access_token_ttl')).toEqual({ scope: 'global', parameter: 'access_token_ttl' });
    expect(parseRelativeName('clients/web/access_token_ttl')).toEqual({ scope: 'client', id: 'web', parameter: 'access_token_ttl' });
    expect(parseRelativeName('audiences/api.v2/access_token_ttl')).toEqual({ scope: 'audience', id: 'api.v2', parameter: 'access_token_ttl' });
    for (const bad of ['', 'clients/web', 'clients//access_token_ttl', 'clients/web/', 'client/web/access_token_ttl', 'clients/web/x/y', 'a/b']) {
      expect(parseRelativeName(bad), bad).toBeUndefined();
    }
  });
});
