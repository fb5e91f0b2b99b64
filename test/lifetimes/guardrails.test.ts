import { describe, expect, it } from 'vitest';
import {
  CROSS_RULES,
  checkEntry,
  checkValue,
  crossRuleViolations,
  lifetimeWarnings,
  rejectionMessage,
} from '../../functions/lifetimes/guardrails.ts';
import { PARAMETERS, defaultValues, type LifetimeValues, type ParameterValue } from '../../functions/lifetimes/parameters.ts';

const reasonOf = (name: string, raw: string): string => {
  const entry = checkEntry(name, raw);
  if (entry.ok) throw new Error(`${name}=${raw} was accepted`);
  return rejectionMessage(name, entry.reason);
};

describe('seconds values', () => {
  it.each(['1e3', ' 900', '900 ', '900s', '-1', '+900', '0x10', '1.5', '900.0', '0900', '', 'NaN', 'Infinity', '٩٠٠'])(
    'rejects the malformed %j',
    (raw) => {
      expect(checkValue('access_token_ttl', raw).ok).toBe(false);
      expect(reasonOf('access_token_ttl', raw)).toMatch(/^access_token_ttl: .*not a whole number of seconds written in decimal digits$/);
    },
  );

  it('rejects a number too large to be exact', () => {
    expect(reasonOf('refresh_token_absolute_ttl', '99999999999999999999')).toBe('refresh_token_absolute_ttl: 99999999999999999999 is too large');
  });

  it('accepts plain decimal integers', () => {
    expect(checkValue('access_token_ttl', '900')).toEqual({ ok: true, value: 900 });
    expect(checkValue('refresh_token_absolute_ttl', '63072000')).toEqual({ ok: true, value: 63072000 });
  });

  it.each(['access_token_ttl', 'access_token_ttl_browser', 'client_credentials_token_ttl', 'id_token_ttl', 'refresh_token_idle_ttl',
    'refresh_token_absolute_ttl', 'session_idle_ttl', 'session_absolute_ttl', 'authorization_code_ttl', 'device_code_ttl'] as const)(
    '%s must be positive',
    (name) => {
      expect(reasonOf(name, '0')).toBe(`${name}: 0 is not a positive number of seconds`);
      expect(checkValue(name, '1')).toEqual({ ok: true, value: 1 });
    },
  );

  it.each(['refresh_token_reuse_interval', 'clock_skew_tolerance', 'introspection_cache_ttl'] as const)('%s may be 0', (name) => {
    expect(checkValue(name, '0')).toEqual({ ok: true, value: 0 });
  });
});

describe('hard limits', () => {
  it.each([
    ['access_token_ttl', 86400],
    ['access_token_ttl_browser', 86400],
    ['client_credentials_token_ttl', 86400],
    ['id_token_ttl', 86400],
    ['clock_skew_tolerance', 300],
    ['authorization_code_ttl', 600],
    ['device_code_ttl', 1800],
    ['refresh_token_reuse_interval', 300],
    ['introspection_cache_ttl', 300],
  ] as const)('%s allows up to %i seconds', (name, limit) => {
    expect(checkValue(name, String(limit))).toEqual({ ok: true, value: limit });
    expect(reasonOf(name, String(limit + 1))).toBe(`${name}: ${limit + 1} exceeds the hard limit of ${limit} seconds`);
  });

  it('gives the reason of the design example', () => {
    expect(reasonOf('access_token_ttl', '90000')).toBe('access_token_ttl: 90000 exceeds the hard limit of 86400 seconds');
  });

  it('applies the same limits to overrides: they can tighten, never loosen', () => {
    expect(reasonOf('clients/web/access_token_ttl', '90000')).toBe('clients/web/access_token_ttl: 90000 exceeds the hard limit of 86400 seconds');
    expect(reasonOf('audiences/api/client_credentials_token_ttl', '86401')).toBe(
      'audiences/api/client_credentials_token_ttl: 86401 exceeds the hard limit of 86400 seconds',
    );
    expect(reasonOf('clients/tv/device_code_ttl', '1801')).toMatch(/exceeds the hard limit of 1800 seconds/);
    expect(checkEntry('clients/web/access_token_ttl', '60')).toMatchObject({ ok: true, value: 60 });
  });
});

describe('booleans and enums', () => {
  it.each(['True', 'TRUE', '1', 'yes', ' true', ''])('refuses %j as a boolean', (raw) => {
    expect(reasonOf('refresh_token_rotation', raw)).toBe(`refresh_token_rotation: ${JSON.stringify(raw)} is not a boolean: write true or false`);
  });

  it('accepts exactly true and false', () => {
    expect(checkValue('revoke_all_on_logout', 'true')).toEqual({ ok: true, value: true });
    expect(checkValue('revoke_all_on_logout', 'false')).toEqual({ ok: true, value: false });
  });

  it('accepts only the listed enum values', () => {
    expect(checkValue('access_token_format', 'opaque')).toEqual({ ok: true, value: 'opaque' });
    expect(reasonOf('access_token_format', 'JWT')).toBe('access_token_format: "JWT" is not one of jwt, opaque');
    expect(reasonOf('access_token_format', 'paseto')).toBe('access_token_format: "paseto" is not one of jwt, opaque');
  });
});

describe('names', () => {
  it('rejects unknown parameters, globally and in overrides', () => {
    expect(reasonOf('access_token_lifetime', '900')).toBe('access_token_lifetime: unknown parameter "access_token_lifetime"');
    expect(reasonOf('clients/web/access_token_lifetime', '900')).toBe('clients/web/access_token_lifetime: unknown parameter "access_token_lifetime"');
    expect(reasonOf('toString', '1')).toMatch(/unknown parameter/);
  });

  it('rejects names outside the grammar', () => {
    expect(reasonOf('apps/web/access_token_ttl', '900')).toMatch(/^apps\/web\/access_token_ttl: not a parameter name/);
    expect(reasonOf('clients/web', '900')).toMatch(/not a parameter name/);
  });

  it.each([
    ['clients/x/clock_skew_tolerance', 'clock_skew_tolerance cannot be set per client (it may be set globally)'],
    ['clients/x/introspection_cache_ttl', 'introspection_cache_ttl cannot be set per client (it may be set globally)'],
    ['clients/x/revoke_refresh_on_password_change', 'revoke_refresh_on_password_change cannot be set per client (it may be set globally)'],
    ['clients/x/revoke_all_on_logout', 'revoke_all_on_logout cannot be set per client (it may be set globally)'],
    ['audiences/api/id_token_ttl', 'id_token_ttl cannot be set per audience (it may be set globally or per client)'],
    ['audiences/api/refresh_token_rotation', 'refresh_token_rotation cannot be set per audience (it may be set globally or per client)'],
    ['audiences/api/session_idle_ttl', 'session_idle_ttl cannot be set per audience (it may be set globally or per client)'],
  ])('rejects %s (scope not allowed)', (name, reason) => {
    const entry = checkEntry(name, name.endsWith('ttl') || name.endsWith('tolerance') ? '10' : 'true');
    expect(entry).toEqual({ ok: false, name: undefined, reason });
  });

  it('knows which name a bad value belongs to, so a last valid value can be kept for it', () => {
    expect(checkEntry('clients/web/access_token_ttl', 'x')).toMatchObject({
      ok: false,
      name: { scope: 'client', id: 'web', parameter: 'access_token_ttl' },
    });
  });
});

describe('cross rules', () => {
  const configured = (entries: Record<string, ParameterValue>) => new Map(Object.entries(entries));

  it('never involve a parameter an audience can set (so client × audience needs no check)', () => {
    for (const rule of CROSS_RULES) {
      expect(PARAMETERS[rule.longer].scopes).not.toContain('audience');
      expect(PARAMETERS[rule.shorter].scopes).not.toContain('audience');
    }
  });

  it('hold for the defaults', () => {
    expect(crossRuleViolations(new Map())).toEqual([]);
  });

  it('reject a refresh absolute lifetime below the idle one', () => {
    const [violation, ...rest] = crossRuleViolations(configured({ refresh_token_idle_ttl: 7200, refresh_token_absolute_ttl: 3600 }));
    expect(rest).toEqual([]);
    expect(violation).toMatchObject({
      scope: { scope: 'global' },
      longer: { name: 'refresh_token_absolute_ttl', value: 3600 },
      shorter: { name: 'refresh_token_idle_ttl', value: 7200 },
    });
    expect(violation?.reason).toBe(
      'refresh_token_absolute_ttl (3600) is shorter than refresh_token_idle_ttl (7200): an absolute lifetime cannot be below its idle one',
    );
  });

  it('reject a session absolute lifetime below the idle one, counting the defaults', () => {
    const [violation] = crossRuleViolations(configured({ session_absolute_ttl: 600 }));
    expect(violation).toMatchObject({ longer: { name: 'session_absolute_ttl', value: 600 }, shorter: { name: 'session_idle_ttl', value: 1800 } });
  });

  it('accept equal lifetimes', () => {
    expect(crossRuleViolations(configured({ session_idle_ttl: 3600, session_absolute_ttl: 3600 }))).toEqual([]);
  });

  it('check each client on its effective values: its overrides on top of the global ones', () => {
    const violations = crossRuleViolations(
      configured({
        refresh_token_idle_ttl: 3600,
        refresh_token_absolute_ttl: 86400,
        'clients/mobile/refresh_token_idle_ttl': 172800,
        'clients/web/refresh_token_idle_ttl': 7200,
      }),
    );
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      scope: { scope: 'client', id: 'mobile' },
      longer: { name: 'refresh_token_absolute_ttl', value: 86400 },
      shorter: { name: 'clients/mobile/refresh_token_idle_ttl', value: 172800 },
      involved: [
        'clients/mobile/refresh_token_absolute_ttl',
        'refresh_token_absolute_ttl',
        'clients/mobile/refresh_token_idle_ttl',
        'refresh_token_idle_ttl',
      ],
    });
    expect(violations[0]?.reason).toMatch(/for client mobile/);
  });

  it('let a client override fix what a global value alone would break', () => {
    const violations = crossRuleViolations(
      configured({ session_idle_ttl: 600, 'clients/kiosk/session_idle_ttl': 60, 'clients/kiosk/session_absolute_ttl': 120 }),
    );
    expect(violations).toEqual([]);
  });

  it('catch a client override that breaks the rule against the global value', () => {
    const violations = crossRuleViolations(configured({ 'clients/kiosk/session_absolute_ttl': 120 }));
    expect(violations).toMatchObject([{ scope: { scope: 'client', id: 'kiosk' }, shorter: { name: 'session_idle_ttl', value: 1800 } }]);
  });
});

describe('warnings', () => {
  const warn = (changes: Partial<LifetimeValues>) => lifetimeWarnings({ ...defaultValues(), ...changes });

  it('are none for the defaults', () => {
    expect(warn({})).toEqual([]);
  });

  it.each([
    ['ACCESS_TOKEN_TTL_LONG', { access_token_ttl: 3601 }, { access_token_ttl: 3600 }],
    ['CLIENT_CREDENTIALS_TOKEN_TTL_LONG', { client_credentials_token_ttl: 14401 }, { client_credentials_token_ttl: 14400 }],
    ['REFRESH_TOKEN_ROTATION_OFF', { refresh_token_rotation: false }, { refresh_token_rotation: true }],
    ['ID_TOKEN_TTL_LONG', { id_token_ttl: 601 }, { id_token_ttl: 600 }],
    ['REVOKE_REFRESH_ON_PASSWORD_CHANGE_OFF', { revoke_refresh_on_password_change: false }, { revoke_refresh_on_password_change: true }],
    ['SESSION_IDLE_TTL_LONG', { session_idle_ttl: 86401 }, { session_idle_ttl: 86400 }],
  ] as const)('%s: raised past the threshold, not at it', (code, risky, fine) => {
    const [parameter, value] = Object.entries(risky)[0] ?? [];
    const warnings = warn(risky);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code, parameter, value });
    expect(warnings[0]?.message).toContain(String(parameter));
    expect(warn(fine)).toEqual([]);
  });

  it('explains why a long user access token is risky', () => {
    expect(warn({ access_token_ttl: 7200 })[0]?.message).toBe(
      'access_token_ttl is 7200 s, above 3600 s: the window in which a stolen access token works grows linearly with it',
    );
  });
});
