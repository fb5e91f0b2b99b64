import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  REDIRECT,
  authorizationRequest,
  authorizeUrl,
  discover,
  expectErrorPage,
  expectRedirectError,
  newClient,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/**
 * `/authorize` refusals through the real HTTP server: errors about the client or its redirect
 * URI are shown to the user (never redirected to an untrusted URI); everything else goes back
 * to the client's redirect URI with `error`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
 */
describe('/authorize refusals', () => {
  let service: TestServer;
  let client: TestClient;
  let twoRedirects: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    client = await newClient(service);
    twoRedirects = await newClient(service, { redirect_uris: [REDIRECT, 'https://app.example.com/other'] });
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A valid request for `client` with some parameters changed. */
  const request = (params: Record<string, string | undefined> = {}, append: Array<[string, string]> = [], who = client) =>
    authorizationRequest(service, who, params, append);

  it('the baseline request is valid: it asks for a login (so each refusal below is due to its one change)', async () => {
    const response = await new Browser().get((await request()).url);
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.get('login_challenge')).toBeTruthy();
  });

  describe('shown to the user, never redirected (400 HTML, no Location)', () => {
    it('an unknown client_id', async () => {
      const { url } = await request({ client_id: 'no-such-client-0123456789' });
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_client');
    });

    it('a missing client_id', async () => {
      const { url } = await request({ client_id: undefined });
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it('an empty client_id', async () => {
      const { url } = await request({ client_id: '' });
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it('a repeated client_id (even with the same value)', async () => {
      const { url } = await request({}, [['client_id', client.client_id]]);
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it('a repeated redirect_uri (even with the same value)', async () => {
      const { url } = await request({}, [['redirect_uri', REDIRECT]]);
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it('no redirect_uri when the client has several registered', async () => {
      const { url } = await request({ redirect_uri: undefined }, [], twoRedirects);
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it.each([
      ['an unrelated URI', 'https://evil.example.com/callback'],
      ['a trailing slash', 'https://app.example.com/callback/'],
      ['a different case in the path', 'https://app.example.com/Callback'],
      ['a different case in the host', 'https://APP.example.com/callback'],
      ['an extra query parameter', 'https://app.example.com/callback?x=1'],
      ['an empty query', 'https://app.example.com/callback?'],
      ['a fragment', 'https://app.example.com/callback#x'],
      ['http instead of https', 'http://app.example.com/callback'],
      ['an explicit default port', 'https://app.example.com:443/callback'],
      ['the registered URI as a prefix (longer path)', 'https://app.example.com/callback/evil'],
      ['the registered URI as a prefix (longer host)', 'https://app.example.com.evil.com/callback'],
      ['a prefix of the registered URI', 'https://app.example.com/call'],
      ['a percent-encoded path', 'https://app.example.com/%63allback'],
      ['a path traversal', 'https://app.example.com/callback/../callback'],
      ['userinfo in front of the host', 'https://app.example.com@evil.com/callback'],
    ])('a redirect_uri not registered: %s', async (_why, redirectUri) => {
      const { url } = await request({ redirect_uri: redirectUri });
      const response = await fetch(url, { redirect: 'manual' });
      await expectErrorPage(response, 'invalid_request');
    });

    it('a redirect_uri of another client', async () => {
      const { url } = await request({ redirect_uri: 'https://app.example.com/other' });
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
    });

    it('a page error escapes what it echoes (no HTML injection)', async () => {
      const { url } = await request({ client_id: '<script>alert(1)</script>' });
      const response = await fetch(url, { redirect: 'manual' });
      const text = await response.clone().text();
      expect(text).not.toContain('<script>');
      await expectErrorPage(response);
    });
  });

  describe('sent back to the client (302 to redirect_uri with error, state and iss)', () => {
    it.each<[string, Record<string, string | undefined>, Array<[string, string]>, string]>([
      ['a missing code_challenge', { code_challenge: undefined }, [], 'invalid_request'],
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }, [], 'invalid_request'],
      ['a missing code_challenge_method (plain by default)', { code_challenge_method: undefined }, [], 'invalid_request'],
      ['a malformed code_challenge', { code_challenge: 'too-short' }, [], 'invalid_request'],
      ['response_type=token', { response_type: 'token' }, [], 'unsupported_response_type'],
      ['response_type=code id_token', { response_type: 'code id_token' }, [], 'unsupported_response_type'],
      ['a missing response_type', { response_type: undefined }, [], 'unsupported_response_type'],
      ['response_mode=fragment', { response_mode: 'fragment' }, [], 'invalid_request'],
      ['a scope the client lacks', { scope: 'openid admin' }, [], 'invalid_scope'],
      ['a malformed scope', { scope: 'openid "quoted"' }, [], 'invalid_scope'],
      ['a resource the client lacks', { resource: 'https://billing.example.com' }, [], 'invalid_target'],
      ['prompt=none without a session', { prompt: 'none' }, [], 'login_required'],
      ['an unknown prompt', { prompt: 'consent bogus' }, [], 'invalid_request'],
      ['prompt=none with another value (OIDC Core §3.1.2.1)', { prompt: 'none login' }, [], 'invalid_request'],
      ['a max_age that is not a number', { max_age: 'soon' }, [], 'invalid_request'],
      ['a negative max_age', { max_age: '-1' }, [], 'invalid_request'],
      ['a repeated scope', {}, [['scope', 'openid']], 'invalid_request'],
      ['a repeated code_challenge', {}, [['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM']], 'invalid_request'],
      ['a repeated response_type', {}, [['response_type', 'code']], 'invalid_request'],
      ['a request object', { request: 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.' }, [], 'request_not_supported'],
      ['a request_uri', { request_uri: 'https://app.example.com/request.jwt' }, [], 'request_uri_not_supported'],
      ['an oversized parameter', { nonce: 'n'.repeat(3000) }, [], 'invalid_request'],
    ])('%s', async (_why, params, append, error) => {
      const sent = await request(params, append);
      const response = await fetch(sent.url, { redirect: 'manual' });
      expectRedirectError(response, REDIRECT, service.url, error, sent.state);
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it('a client without the authorization_code grant: unauthorized_client', async () => {
      const machine = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: [REDIRECT] });
      const sent = await request({}, [], machine);
      expectRedirectError(await fetch(sent.url, { redirect: 'manual' }), REDIRECT, service.url, 'unauthorized_client', sent.state);
    });

    it('a repeated state is not echoed (either copy could be forged), the error still is', async () => {
      const sent = await request({}, [['state', 'second']]);
      expectRedirectError(await fetch(sent.url, { redirect: 'manual' }), REDIRECT, service.url, 'invalid_request', undefined);
    });

    it('without state, the error carries none', async () => {
      const sent = await request({ state: undefined, response_type: 'token' });
      expectRedirectError(await fetch(sent.url, { redirect: 'manual' }), REDIRECT, service.url, 'unsupported_response_type', undefined);
    });

    it('the redirect URI may be omitted in a plain OAuth request when the client has exactly one; errors then go there', async () => {
      const sent = await request({ redirect_uri: undefined, prompt: 'none', scope: 'orders:read' });
      expectRedirectError(await fetch(sent.url, { redirect: 'manual' }), REDIRECT, service.url, 'login_required', sent.state);
    });

    it('a second registered redirect URI receives its own errors', async () => {
      const sent = await authorizationRequest(
        service,
        { client_id: twoRedirects.client_id, redirect_uri: 'https://app.example.com/other' },
        { code_challenge_method: 'plain' },
      );
      expectRedirectError(await fetch(sent.url, { redirect: 'manual' }), 'https://app.example.com/other', service.url, 'invalid_request', sent.state);
    });

    it('oauth4webapi, as a relying party, reads the error (and checks iss and state)', async () => {
      const as = await discover(service);
      const sent = await request({ scope: 'openid admin' });
      const response = await fetch(sent.url, { redirect: 'manual' });
      const location = new URL(response.headers.get('location')!);
      let caught: unknown;
      try {
        oauth.validateAuthResponse(as, { client_id: client.client_id }, location, sent.state);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(oauth.AuthorizationResponseError);
      expect((caught as oauth.AuthorizationResponseError).error).toBe('invalid_scope');
    });
  });

  it('the raw URL builder keeps repeated parameters (sanity check of the tests themselves)', () => {
    const url = new URL(authorizeUrl(service, { a: '1' }, [['a', '2']]));
    expect(url.searchParams.getAll('a')).toEqual(['1', '2']);
  });
});
