import { describe, expect, it } from 'vitest';
import { idTokenClaims, RESERVED_CLAIMS, STANDARD_CLAIMS, userinfoClaims } from '../../functions/oauth/claims.ts';

const given = { name: 'Ada', email: 'ada@example.com', phone_number: '+1', tenant: 'acme', iss: 'forged', auth_time: 1 };

describe('releasing the login app’s claims (OIDC Core §5.4, §5.5)', () => {
  it('the ID token: standard claims by scope or request, the deployer’s own always, protocol claims never', () => {
    expect(idTokenClaims(given, ['openid'], undefined)).toEqual({ tenant: 'acme' });
    expect(idTokenClaims(given, ['openid', 'email'], undefined)).toEqual({ email: 'ada@example.com', tenant: 'acme' });
    expect(idTokenClaims(given, ['openid'], { idToken: ['phone_number', 'iss'], userinfo: ['name'] })).toEqual({ phone_number: '+1', tenant: 'acme' });
    expect(idTokenClaims(undefined, ['openid', 'profile'], undefined)).toEqual({});
  });

  it('userinfo: standard claims by scope, plus anything asked of userinfo; never a protocol claim', () => {
    expect(userinfoClaims(given, ['openid'], undefined)).toEqual({});
    expect(userinfoClaims(given, ['openid', 'profile'], undefined)).toEqual({ name: 'Ada' });
    expect(userinfoClaims(given, ['openid'], ['tenant', 'email', 'iss', 'auth_time', 'missing'])).toEqual({ tenant: 'acme', email: 'ada@example.com' });
  });

  it('no standard claim is reserved, and no reserved claim is standard', () => {
    expect([...STANDARD_CLAIMS].filter((name) => RESERVED_CLAIMS.has(name))).toEqual([]);
  });
});
