import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { parseRegistration } from '../../../functions/oauth/clients/registration.ts';
import { registrationBody } from '../../support/clients.ts';

function refusal(body: Record<string, unknown>): { code: string; status: number; message: string } {
  try {
    parseRegistration(body);
  } catch (error) {
    if (error instanceof OAuthError) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected the registration to be refused');
}

describe('parseRegistration', () => {
  it('accepts a valid confidential client with client_secret_basic by default', () => {
    const registration = parseRegistration(registrationBody());
    expect(registration).toMatchObject({ type: 'confidential', tokenEndpointAuthMethod: 'client_secret_basic' });
  });

  it('gives a public client the "none" method and default grants', () => {
    const registration = parseRegistration(registrationBody({ type: 'public', grant_types: undefined }));
    expect(registration.tokenEndpointAuthMethod).toBe('none');
    expect(registration.grantTypes).toEqual(['authorization_code', 'refresh_token']);
  });

  it('requires PKCE by default; only a confidential client may turn it off', () => {
    expect(parseRegistration(registrationBody()).requirePkce).toBe(true);
    expect(parseRegistration(registrationBody({ type: 'public' })).requirePkce).toBe(true);
    expect(parseRegistration(registrationBody({ require_pkce: false })).requirePkce).toBe(false);
    expect(parseRegistration(registrationBody({ require_pkce: false, token_endpoint_auth_method: 'client_secret_post' })).requirePkce).toBe(false);
    expect(refusal(registrationBody({ type: 'public', require_pkce: false }))).toMatchObject({
      code: 'invalid_client_metadata',
      status: 400,
      message: expect.stringContaining('require_pkce'),
    });
    for (const value of ['false', 0, 'off']) {
      expect(refusal(registrationBody({ require_pkce: value }))).toMatchObject({ code: 'invalid_client_metadata' });
    }
  });

  it('accepts https, and http only on loopback hosts', () => {
    const uris = ['https://a.example/cb', 'http://localhost:3000/cb', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb'];
    expect(parseRegistration(registrationBody({ redirect_uris: uris })).redirectUris).toEqual(uris);
  });

  it.each([
    ['relative URI', ['/callback']],
    ['not a URI', ['not a uri']],
    ['http on a public host', ['http://app.example.com/cb']],
    ['a fragment', ['https://app.example.com/cb#frag']],
    ['an empty fragment', ['https://app.example.com/cb#']],
    ['credentials', ['https://user:pass@app.example.com/cb']],
    ['an empty userinfo', ['https://@app.example.com/cb']],
    ['an empty user and password on the loopback', ['http://:@127.0.0.1/cb']],
    ['the loopback address as userinfo', ['http://127.0.0.1@evil.example/cb']],
    ['a wildcard host', ['https://*.example.com/cb']],
    ['http on a host that begins with a loopback address', ['http://127.0.0.1.evil.example/cb']],
    ['http on a host that begins with localhost', ['http://localhost.evil.example/cb']],
    ['http on another spelling of 127.0.0.1', ['http://127.1/cb']],
    ['http on 127.0.0.1 as a number', ['http://2130706433/cb']],
    ['http on a long form of [::1]', ['http://[0:0:0:0:0:0:0:1]/cb']],
    ['http in upper case on the loopback', ['HTTP://127.0.0.1/cb']],
    ['http on LOCALHOST', ['http://LOCALHOST/cb']],
    ['a custom scheme', ['com.example.app:/cb']],
    ['javascript:', ['javascript:alert(1)']],
  ])('refuses a redirect URI with %s', (_why, uris) => {
    expect(refusal(registrationBody({ redirect_uris: uris }))).toMatchObject({ code: 'invalid_redirect_uri', status: 400 });
  });

  it('refuses the same rules on post-logout redirect URIs', () => {
    expect(refusal(registrationBody({ post_logout_redirect_uris: ['http://evil.example/'] }))).toMatchObject({
      code: 'invalid_redirect_uri',
      message: expect.stringContaining('post_logout_redirect_uris[0]'),
    });
  });

  it('requires a redirect URI for the authorization_code grant', () => {
    expect(refusal(registrationBody({ redirect_uris: [] }))).toMatchObject({ code: 'invalid_redirect_uri' });
  });

  it('allows a client_credentials client without redirect URIs', () => {
    const registration = parseRegistration(registrationBody({ redirect_uris: undefined, grant_types: ['client_credentials'] }));
    expect(registration.redirectUris).toEqual([]);
  });

  it.each([
    ['client_credentials for a public client', { type: 'public', grant_types: ['client_credentials'] }],
    ['the implicit grant', { grant_types: ['implicit'] }],
    ['the password grant', { grant_types: ['password'] }],
    ['refresh_token alone', { grant_types: ['refresh_token'] }],
    ['no grant at all', { grant_types: [] }],
    ['a secret method on a public client', { type: 'public', token_endpoint_auth_method: 'client_secret_basic' }],
    ['"none" on a confidential client', { token_endpoint_auth_method: 'none' }],
    ['an unknown auth method', { token_endpoint_auth_method: 'private_key_jwt' }],
    ['an unknown type', { type: 'trusted' }],
    ['a missing name', { client_name: undefined }],
    ['an empty name', { client_name: '  ' }],
    ['a name that is not a string', { client_name: 42 }],
    ['redirect_uris that is not an array', { redirect_uris: 'https://app.example.com/cb' }],
    ['redirect_uris holding a number', { redirect_uris: [1] }],
    ['duplicate redirect URIs', { redirect_uris: ['https://a.example/cb', 'https://a.example/cb'] }],
    ['too many redirect URIs', { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) }],
    ['a scope with a space', { scopes: ['read write'] }],
    ['a scope with a quote', { scopes: ['a"b'] }],
    ['an audience with a space', { audiences: ['orders api'] }],
    ['an audience URI with a fragment', { audiences: ['https://api.example.com/#x'] }],
    ['an unknown field', { redirect_uri: 'https://app.example.com/cb' }],
  ])('refuses %s with a clear 400', (_why, overrides) => {
    const body = registrationBody(overrides);
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete body[key];
    const { status, code, message } = refusal(body);
    expect(status).toBe(400);
    expect(['invalid_client_metadata', 'invalid_redirect_uri']).toContain(code);
    expect(message.length).toBeGreaterThan(10);
  });

  it('names unknown fields', () => {
    expect(refusal(registrationBody({ secret: 'x', colour: 'red' })).message).toBe('unknown fields: secret, colour');
  });
});
