import { describe, expect, it } from 'vitest';
import { settleParameters, snapshotOf, type LifetimeSnapshot } from '../../functions/lifetimes/config.ts';
import { checkEntry, crossRuleViolations, rejectionMessage } from '../../functions/lifetimes/guardrails.ts';
import {
  PARAMETER_NAMES,
  allowedIn,
  definitionOf,
  isStricter,
  parseRelativeName,
  profileLoosening,
  reachedByLogin,
  relativeName,
  type ParameterValue,
} from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes } from '../../functions/lifetimes/resolver.ts';

function snapshot(raw: Record<string, string>, previous: Record<string, ParameterValue> = {}): LifetimeSnapshot {
  return snapshotOf(settleParameters(new Map(Object.entries(raw)), new Map(Object.entries(previous))), 0);
}

const reasonOf = (name: string, raw: string): string => {
  const entry = checkEntry(name, raw);
  if (entry.ok) throw new Error(`${name}=${raw} was accepted`);
  return rejectionMessage(name, entry.reason);
};

describe('profile names', () => {
  it('parse as their own scope, with the id rules of clients and audiences', () => {
    expect(parseRelativeName('profiles/shared-device/session_idle_ttl')).toEqual({ scope: 'profile', id: 'shared-device', parameter: 'session_idle_ttl' });
    expect(relativeName('session_idle_ttl', { scope: 'profile', id: 'admin.console' })).toBe('profiles/admin.console/session_idle_ttl');
    expect(() => relativeName('session_idle_ttl', { scope: 'profile', id: 'a b' })).toThrow(TypeError);
    for (const bad of ['profiles/a b/session_idle_ttl', 'profiles//session_idle_ttl', 'profiles/x', 'profile/x/session_idle_ttl']) {
      expect(parseRelativeName(bad), bad).toBeUndefined();
    }
  });
});

describe('the parameter table says how a profile tightens each parameter', () => {
  it('lets a profile set exactly what a client may set', () => {
    for (const name of PARAMETER_NAMES) expect(allowedIn(name, 'profile'), name).toBe(allowedIn(name, 'client'));
    expect(reasonOf('profiles/kiosk/clock_skew_tolerance', '10')).toBe(
      'profiles/kiosk/clock_skew_tolerance: clock_skew_tolerance cannot be set per lifetime profile (it may be set globally)',
    );
  });

  it('gives every boolean a stricter value and every client-settable enum more than one value', () => {
    for (const name of PARAMETER_NAMES) {
      const definition = definitionOf(name);
      if (definition.kind === 'boolean') expect(typeof definition.stricter, name).toBe('boolean');
      if (definition.kind === 'enum') expect(definition.values.length, name).toBeGreaterThan(1);
    }
  });

  it('names what no login reaches, and only parameters a profile may set', () => {
    const unreached = PARAMETER_NAMES.filter((name) => allowedIn(name, 'profile') && !reachedByLogin(name));
    expect(unreached.sort()).toEqual(['client_auth_failure_limit', 'client_credentials_token_ttl', 'device_code_ttl', 'dpop_nonce_required']);
    for (const name of PARAMETER_NAMES) {
      if (allowedIn(name, 'client')) continue;
      expect(reachedByLogin(name), name).toBe(false);
    }
  });

  it('orders values from the loosest to the strictest', () => {
    expect(isStricter('access_token_ttl', 300, 900)).toBe(true);
    expect(isStricter('access_token_ttl', 900, 900)).toBe(false);
    expect(isStricter('refresh_rate_limit', 5, 10)).toBe(true);
    expect(isStricter('refresh_token_rotation', true, false)).toBe(true);
    expect(isStricter('refresh_token_rotation', false, true)).toBe(false);
    expect(isStricter('access_token_format', 'opaque', 'jwt')).toBe(true);
    expect(isStricter('access_token_format', 'jwt', 'opaque')).toBe(false);
    expect(profileLoosening('refresh_token_rotation', true)).toBeUndefined();
    expect(profileLoosening('access_token_format', 'opaque')).toBeUndefined();
    expect(profileLoosening('access_token_ttl', 86_400)).toBeUndefined();
  });
});

describe('guardrails on profile values', () => {
  it('accept any seconds value within the hard limits', () => {
    expect(checkEntry('profiles/kiosk/session_idle_ttl', '300')).toMatchObject({ ok: true, value: 300 });
    // Longer than the default is allowed: it is simply never used (the shorter wins).
    expect(checkEntry('profiles/kiosk/access_token_ttl', '3600')).toMatchObject({ ok: true, value: 3600 });
  });

  it('reject a value above a hard limit, as for any scope', () => {
    expect(reasonOf('profiles/kiosk/access_token_ttl', '90000')).toBe('profiles/kiosk/access_token_ttl: 90000 exceeds the hard limit of 86400 seconds');
    expect(reasonOf('profiles/kiosk/authorization_code_ttl', '601')).toMatch(/exceeds the hard limit of 600 seconds/);
  });

  it('reject turning rotation off, a nonce off and JWT access tokens: those could only loosen', () => {
    expect(reasonOf('profiles/kiosk/refresh_token_rotation', 'false')).toBe(
      'profiles/kiosk/refresh_token_rotation: a lifetime profile only tightens: refresh_token_rotation false could only loosen what a client has (a profile may set true)',
    );
    expect(reasonOf('profiles/kiosk/dpop_nonce_required', 'false')).toMatch(/only tightens/);
    expect(reasonOf('profiles/kiosk/access_token_format', 'jwt')).toMatch(/only tightens: access_token_format jwt is the loosest value/);
    expect(checkEntry('profiles/kiosk/refresh_token_rotation', 'true')).toMatchObject({ ok: true, value: true });
    expect(checkEntry('profiles/kiosk/access_token_format', 'opaque')).toMatchObject({ ok: true, value: 'opaque' });
    // The same values are fine for a client: only a profile is held to tightening.
    expect(checkEntry('clients/legacy/refresh_token_rotation', 'false')).toMatchObject({ ok: true });
  });

  it('hold a profile to the absolute ≥ idle rule for the pairs it sets both halves of', () => {
    const both = new Map<string, ParameterValue>([
      ['profiles/kiosk/session_idle_ttl', 900],
      ['profiles/kiosk/session_absolute_ttl', 600],
    ]);
    expect(crossRuleViolations(both).map((violation) => violation.involved)).toEqual([['profiles/kiosk/session_absolute_ttl', 'profiles/kiosk/session_idle_ttl']]);
    // One half: the resolver cuts the inherited idle lifetime to the profile's absolute one.
    expect(crossRuleViolations(new Map([['profiles/kiosk/session_absolute_ttl', 600]]))).toEqual([]);
  });

  it('keep the last valid profile value when a loosening one replaces it', () => {
    const settled = settleParameters(new Map([['profiles/kiosk/refresh_token_reuse_interval', '301']]), new Map([['profiles/kiosk/refresh_token_reuse_interval', 5]]));
    expect(settled.accepted.get('profiles/kiosk/refresh_token_reuse_interval')).toBe(5);
    expect(settled.held.get('profiles/kiosk/refresh_token_reuse_interval')).toMatchObject({ rejected: '301', value: 5 });
  });
});

describe('snapshots know the profiles', () => {
  it('by name, even one whose every value was rejected, and their values in use', () => {
    const config = snapshot({
      'profiles/kiosk/session_idle_ttl': '300',
      'profiles/broken/refresh_token_rotation': 'false',
      'profiles/typo/acess_token_ttl': '60',
      'clients/web/access_token_ttl': '600',
    });
    expect([...config.profileNames].sort()).toEqual(['broken', 'kiosk', 'typo']);
    expect(config.profiles.get('kiosk')).toEqual({ session_idle_ttl: 300 });
    expect(config.profiles.get('broken')).toBeUndefined();
    expect(config.clients.get('web')).toEqual({ access_token_ttl: 600 });
  });
});

describe('resolveLifetimes with a profile', () => {
  const config = snapshot({
    access_token_ttl: '900',
    'clients/web/session_idle_ttl': '3600',
    'clients/web/refresh_token_idle_ttl': '86400',
    'clients/legacy/refresh_token_rotation': 'false',
    'audiences/payments/access_token_ttl': '120',
    'profiles/kiosk/access_token_ttl': '300',
    'profiles/kiosk/session_idle_ttl': '600',
    'profiles/kiosk/refresh_token_idle_ttl': '172800',
    'profiles/kiosk/refresh_token_rotation': 'true',
    'profiles/kiosk/access_token_format': 'opaque',
    'profiles/kiosk/client_credentials_token_ttl': '60',
    'profiles/kiosk/access_token_ttl_browser': '90',
  });

  it('takes each profile value that is shorter, with source profile', () => {
    const resolved = resolveLifetimes(config, { clientId: 'web', profile: 'kiosk' });
    expect(resolved.access_token_ttl).toEqual({ value: 300, source: 'profile' });
    expect(resolved.session_idle_ttl).toEqual({ value: 600, source: 'profile' });
    expect(resolved.access_token_format).toEqual({ value: 'opaque', source: 'profile' });
  });

  it('does not use a profile value longer than what the client has', () => {
    expect(resolveLifetimes(config, { clientId: 'web', profile: 'kiosk' }).refresh_token_idle_ttl).toEqual({ value: 86_400, source: 'client' });
    expect(resolveLifetimes(config, { clientId: 'other', profile: 'kiosk' }).refresh_token_idle_ttl).toEqual({ value: 172_800, source: 'profile' });
  });

  it('does not use a profile value longer than the audience gives', () => {
    expect(resolveLifetimes(config, { audience: 'payments', profile: 'kiosk' }).access_token_ttl).toEqual({ value: 120, source: 'audience' });
  });

  it('turns rotation back on for a client that has it off', () => {
    expect(resolveLifetimes(config, { clientId: 'legacy' }).refresh_token_rotation).toEqual({ value: false, source: 'client' });
    expect(resolveLifetimes(config, { clientId: 'legacy', profile: 'kiosk' }).refresh_token_rotation).toEqual({ value: true, source: 'profile' });
  });

  it('never applies a value no login reaches', () => {
    expect(resolveLifetimes(config, { profile: 'kiosk' }).client_credentials_token_ttl).toEqual({ value: 3600, source: 'default' });
  });

  it('holds a public client to the profile’s browser lifetime, a confidential one not', () => {
    expect(resolveLifetimes(config, { clientId: 'spa', clientType: 'public', profile: 'kiosk' }).access_token_ttl).toEqual({ value: 90, source: 'profile' });
    expect(resolveLifetimes(config, { clientId: 'web', clientType: 'confidential', profile: 'kiosk' }).access_token_ttl).toEqual({ value: 300, source: 'profile' });
  });

  it('cuts an inherited idle lifetime to the profile’s absolute one', () => {
    const short = snapshot({ 'profiles/admin/session_absolute_ttl': '900', 'profiles/admin/refresh_token_absolute_ttl': '3600' });
    const resolved = resolveLifetimes(short, { profile: 'admin' });
    expect(resolved.session_absolute_ttl).toEqual({ value: 900, source: 'profile' });
    expect(resolved.session_idle_ttl).toEqual({ value: 900, source: 'profile' });
    expect(resolved.refresh_token_idle_ttl).toEqual({ value: 3600, source: 'profile' });
  });

  it('changes nothing without a profile, or for a profile the configuration does not name', () => {
    const without = resolveLifetimes(config, { clientId: 'web' });
    for (const profile of [undefined, 'nobody', 'a/b']) {
      const resolved = resolveLifetimes(config, { clientId: 'web', ...(profile !== undefined && { profile }) });
      for (const name of PARAMETER_NAMES) expect(resolved[name], `${profile} ${name}`).toEqual(without[name]);
    }
  });

  it('marks a rejected profile value with what was rejected, and keeps its last valid one', () => {
    const fresh = snapshot({ 'profiles/kiosk/refresh_token_rotation': 'false' });
    expect(resolveLifetimes(fresh, { profile: 'kiosk' }).refresh_token_rotation).toMatchObject({
      value: true,
      source: 'guardrail',
      rejected: { name: 'profiles/kiosk/refresh_token_rotation', value: 'false' },
    });
    const kept = snapshot({ 'profiles/kiosk/access_token_ttl': '90000' }, { 'profiles/kiosk/access_token_ttl': 120 });
    expect(resolveLifetimes(kept, { profile: 'kiosk' }).access_token_ttl).toMatchObject({ value: 120, source: 'guardrail', rejected: { value: '90000' } });
    expect(resolveLifetimes(kept).access_token_ttl).toEqual({ value: 900, source: 'default' });
  });

  it('is cached per profile as well', () => {
    const kiosk = resolveLifetimes(config, { clientId: 'web', profile: 'kiosk' });
    expect(resolveLifetimes(config, { clientId: 'web' })).not.toBe(kiosk);
    expect(resolveLifetimes(config, { clientId: 'web', profile: 'kiosk' })).toBe(kiosk);
  });
});
