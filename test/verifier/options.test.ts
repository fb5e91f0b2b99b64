import { describe, expect, it } from 'vitest';
import {
  createVerifier,
  InsufficientUserAuthentication,
  lifespanAuth,
  requireRecentAuthentication,
  type VerifierOptions,
} from '../../functions/verifier/index.ts';
import { clockAt, ISSUER } from './support.ts';

const base: VerifierOptions = { issuer: ISSUER, audience: 'orders-api' };

describe('createVerifier options', () => {
  it.each([
    ['clockToleranceSeconds above 300', { clockToleranceSeconds: 301 }, /clockToleranceSeconds/],
    ['clockToleranceSeconds below 0', { clockToleranceSeconds: -1 }, /clockToleranceSeconds/],
    ['clockToleranceSeconds NaN', { clockToleranceSeconds: Number.NaN }, /clockToleranceSeconds/],
    ['no issuer', { issuer: '' }, /issuer/],
    ['a plain-http issuer off this machine', { issuer: 'http://auth.example.com' }, /issuer/],
    ['no audience', { audience: [] }, /audience/],
    ['an empty audience', { audience: [''] }, /audience/],
    ['a jwksUri that is not a URL', { jwksUri: 'jwks.json' }, /jwksUri/],
    ['a scope with a space', { requiredScopes: ['orders read'] }, /requiredScopes/],
    ['online cache above 60 s', { online: { introspectionEndpoint: `${ISSUER}/introspect`, clientId: 'rs', clientSecret: 's', cacheTtlSeconds: 61 } }, /cacheTtlSeconds/],
    ['online without a secret', { online: { introspectionEndpoint: `${ISSUER}/introspect`, clientId: 'rs', clientSecret: '' } }, /clientSecret/],
    ['a clock without now()', { clock: {} as never }, /clock/],
    ['a dpopReplayStore without firstUse()', { dpopReplayStore: {} as never }, /dpopReplayStore/],
    ['a dpopReplayStore that is null', { dpopReplayStore: null as never }, /dpopReplayStore/],
  ])('refuses %s with a TypeError naming it', (_, override, name) => {
    expect(() => createVerifier({ ...base, ...override } as VerifierOptions)).toThrow(TypeError);
    expect(() => createVerifier({ ...base, ...override } as VerifierOptions)).toThrow(name);
  });

  it('accepts the limits and the local issuer', () => {
    expect(() => createVerifier({ ...base, clockToleranceSeconds: 0 })).not.toThrow();
    expect(() => createVerifier({ ...base, clockToleranceSeconds: 300 })).not.toThrow();
    const local = createVerifier({ issuer: 'http://127.0.0.1:4000', audience: ['orders-api', 'billing-api'] });
    expect(local.audience).toEqual(['orders-api', 'billing-api']);
  });

  it('lifespanAuth validates its options', () => {
    const verifier = createVerifier(base);
    expect(() => lifespanAuth({ verifier, maxAuthAge: -5 })).toThrow(TypeError);
    expect(() => lifespanAuth({ verifier, realm: 'a "quoted" realm' })).toThrow(TypeError);
    expect(() => lifespanAuth({ verifier: {} as never })).toThrow(TypeError);
    expect(() => lifespanAuth({ verifier, requestUrl: 'https://api.example.com' as never })).toThrow(/requestUrl/);
  });

  it('verify refuses invalid per-call options with a TypeError', async () => {
    const verifier = createVerifier(base);
    await expect(verifier.verify('x.y.z', { maxAuthAge: 1.5 })).rejects.toThrow(TypeError);
    await expect(verifier.verify('x.y.z', { requiredScopes: ['a"b'] })).rejects.toThrow(TypeError);
  });
});

describe('requireRecentAuthentication (RFC 9470)', () => {
  const authTime = Math.floor(Date.now() / 1000);

  it('passes within max age, by default 300 s', () => {
    expect(() => requireRecentAuthentication({ auth_time: authTime }, 300, clockAt(authTime + 300))).not.toThrow();
    expect(() => requireRecentAuthentication({ auth_time: authTime }, undefined, clockAt(authTime + 299))).not.toThrow();
  });

  it('refuses an older or missing auth_time with the RFC 9470 §3 challenge', () => {
    const refuse = (claims: { auth_time?: number }, maxAge?: number) => {
      try {
        requireRecentAuthentication(claims, maxAge, clockAt(authTime + 301));
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const old = refuse({ auth_time: authTime });
    expect(old).toBeInstanceOf(InsufficientUserAuthentication);
    expect(old).toMatchObject({ code: 'insufficient_user_authentication', maxAge: 300 });
    expect((old as InsufficientUserAuthentication).wwwAuthenticate).toBe(
      'Bearer error="insufficient_user_authentication", error_description="a more recent user authentication is required", max_age=300',
    );
    const missing = refuse({}, 60);
    expect((missing as InsufficientUserAuthentication).wwwAuthenticate).toMatch(/, max_age=60$/);
  });

  it('refuses a max age that is not a whole number of seconds', () => {
    expect(() => requireRecentAuthentication({ auth_time: authTime }, -1)).toThrow(TypeError);
    expect(() => requireRecentAuthentication({ auth_time: authTime }, 2.5)).toThrow(TypeError);
  });
});
