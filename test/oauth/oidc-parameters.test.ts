import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClaimsRequest, requestedClaimNames, requiredSubjects } from '../../functions/oauth/claims.ts';
import { OAuthError } from '../../functions/oauth/errors.ts';
import { parseOidcParameters } from '../../functions/oauth/oidc-parameters.ts';

const parse = (params: Record<string, string>) => parseOidcParameters((name) => params[name] || undefined);

describe('parseOidcParameters', () => {
  it('gives lists as arrays (deduplicated), numbers as numbers, and only what was sent', () => {
    expect(parse({})).toEqual({});
    expect(parse({ prompt: 'login  consent login', max_age: '0', acr_values: 'a b', ui_locales: 'en-GB', display: 'touch' })).toEqual({
      prompt: ['login', 'consent'],
      maxAge: 0,
      acrValues: ['a', 'b'],
      uiLocales: ['en-GB'],
      display: 'touch',
    });
  });

  it.each([
    ['none alone', 'none', ['none']],
    ['select_account', 'select_account', ['select_account']],
  ])('accepts prompt %s', (_why, prompt, expected) => {
    expect(parse({ prompt }).prompt).toEqual(expected);
  });

  it('refuses none with any other value, and unknown values', () => {
    for (const prompt of ['none login', 'consent none', 'none bogus', 'bogus']) {
      expect(() => parse({ prompt })).toThrow(OAuthError);
    }
  });

  it('any input is either parsed or an invalid_request, never another error', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('prompt', 'max_age', 'login_hint', 'acr_values', 'ui_locales', 'claims_locales', 'display', 'claims'), fc.string()), (params) => {
        try {
          parse(params);
        } catch (error) {
          expect(error).toBeInstanceOf(OAuthError);
          expect((error as OAuthError).code).toBe('invalid_request');
        }
      }),
    );
  });
});

describe('the claims request (OIDC Core §5.5)', () => {
  it('names what each place asks for, and the sub values demanded', () => {
    const claims = parseClaimsRequest('{"userinfo":{"name":null,"email":{"essential":true}},"id_token":{"sub":{"value":"alice"}},"other":1}');
    expect(requestedClaimNames(claims, ['openid', 'profile', 'email'])).toEqual({ userinfo: ['name', 'email'], idToken: ['sub'] });
    expect(requiredSubjects(claims)).toEqual(['alice']);
    expect(requestedClaimNames(parseClaimsRequest('{}'), ['openid'])).toBeUndefined();
    expect(requestedClaimNames(parseClaimsRequest('{"id_token":{}}'), ['openid'])).toBeUndefined();
  });

  it('keeps a standard claim only within the scopes the client is registered for; its own claims always', () => {
    const claims = parseClaimsRequest('{"id_token":{"email":null,"phone_number":null,"tenant":null},"userinfo":{"address":null,"name":null}}');
    expect(requestedClaimNames(claims, ['openid'])).toEqual({ idToken: ['tenant'] });
    expect(requestedClaimNames(claims, ['openid', 'profile'])).toEqual({ idToken: ['tenant'], userinfo: ['name'] });
    expect(requestedClaimNames(parseClaimsRequest('{"userinfo":{"email":null}}'), ['openid'])).toBeUndefined();
  });

  it.each(['', 'null', '[]', '1', '{"userinfo":null}', '{"userinfo":{"a":1}}', '{"id_token":{"a":[]}}', '{"userinfo":{"sub":{"value":["x"]}}}'])(
    'refuses %s',
    (raw) => {
      expect(() => parseClaimsRequest(raw)).toThrow(OAuthError);
    },
  );
});
