import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import { Browser } from '../support/browser.ts';
import {
  accept,
  authorizationRequest,
  exchangeCode,
  expectCodeAtOnce,
  expectLoginChallenge,
  expectRedirectError,
  expectTokens,
  loginTokens,
  newClient,
  uniqueSubject,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Issue #12 point 3: the login app sees the request (Hydra's `oidc_context` and more), and prompt / id_token_hint are honoured. */
describe('the login app sees the request', () => {
  let service: TestServer;
  let web: TestClient;
  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service, { client_name: 'Orders web', scopes: ['openid', 'profile', 'email', 'offline_access', 'orders:read'] });
  });
  afterAll(async () => {
    await service.server.close();
  });

  const describeChallenge = async (challenge: string): Promise<Record<string, unknown>> => {
    const response = await service.admin(`/admin/login-requests/${challenge}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const challengeFor = async (params: Record<string, string | undefined>, browser = new Browser()) =>
    (await expectLoginChallenge(browser, (await authorizationRequest(service, web, params)).url)).challenge;
  const refused = async (params: Record<string, string | undefined>) => {
    const request = await authorizationRequest(service, web, params);
    return expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_request', request.state);
  };
  /** This server's own signing key, to make ID tokens it would have issued (e.g. long expired). */
  const ourSigner = async () => new LocalKeySigner(await loadOrCreateLocalKeyFile(service.environment.LIFESPAN_LOCAL_KEY_FILE!, 'RS256'));

  it('GET /admin/login-requests/{challenge}: the client, the requested scopes and every OIDC parameter sent, as Hydra names them', async () => {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, web, { accept: { subject } });
    const claims = { userinfo: { email: { essential: true } }, id_token: { auth_time: { essential: true }, acr: { values: ['urn:mfa'] } } };
    const challenge = await challengeFor({
      scope: 'openid email orders:read',
      prompt: 'login consent',
      max_age: '300',
      login_hint: 'ada@example.com',
      acr_values: 'urn:mfa urn:pwd',
      ui_locales: 'fr-CA fr en',
      claims_locales: 'de',
      display: 'popup',
      claims: JSON.stringify(claims),
      id_token_hint: tokens.id_token!,
    });
    const body = await describeChallenge(challenge);
    expect(body).toMatchObject({
      challenge,
      client: { client_id: web.client_id, client_name: 'Orders web' },
      requested_scope: ['openid', 'email', 'orders:read'],
      requested_audience: 'orders-api',
      skip: false,
    });
    const context = body['oidc_context'] as Record<string, unknown>;
    expect(Object.keys(context).sort()).toEqual(
      ['acr_values', 'claims', 'claims_locales', 'display', 'id_token_hint_claims', 'id_token_hint_sub', 'login_hint', 'max_age', 'prompt', 'ui_locales'],
    );
    expect(context).toEqual({
      prompt: ['login', 'consent'],
      max_age: 300,
      login_hint: 'ada@example.com',
      acr_values: ['urn:mfa', 'urn:pwd'],
      ui_locales: ['fr-CA', 'fr', 'en'],
      claims_locales: ['de'],
      display: 'popup',
      claims,
      id_token_hint_claims: decodeJwt(tokens.id_token!),
      id_token_hint_sub: subject,
    });
  });

  it('a request with none of them: oidc_context is empty (fields only when sent)', async () => {
    expect((await describeChallenge(await challengeFor({})))['oidc_context']).toEqual({});
  });

  it('the stored request survives the login: accept, complete, tokens', async () => {
    const browser = new Browser();
    const request = await authorizationRequest(service, web, { login_hint: 'alice', claims: '{"userinfo":{"name":null}}', display: 'page' });
    const { challenge } = await expectLoginChallenge(browser, request.url);
    const completion = await browser.get(await accept(service, challenge, { subject: 'alice' }));
    const code = new URL(completion.headers.get('location')!).searchParams.get('code')!;
    await expectTokens(await exchangeCode(service, web, code, request.verifier));
  });

  describe('malformed or absurd values: invalid_request at the redirect URI, nothing stored for the login app', () => {
    it.each<[string, Record<string, string>]>([
      ['claims that are not JSON', { claims: '{"userinfo":' }],
      ['claims that are an array', { claims: '["email"]' }],
      ['claims that are a string', { claims: '"email"' }],
      ['claims.userinfo not an object', { claims: '{"userinfo":["email"]}' }],
      ['claims.id_token member neither null nor an object', { claims: '{"id_token":{"email":true}}' }],
      ['claims with a non-boolean essential', { claims: '{"id_token":{"email":{"essential":"yes"}}}' }],
      ['claims with a non-array values', { claims: '{"id_token":{"acr":{"values":"urn:mfa"}}}' }],
      ['claims with a non-string sub value', { claims: '{"id_token":{"sub":{"value":7}}}' }],
      ['claims longer than 4096 characters', { claims: JSON.stringify({ userinfo: { x: { value: 'v'.repeat(4100) } } }) }],
      ['a login_hint of 513 characters', { login_hint: 'h'.repeat(513) }],
      ['a login_hint with a control character', { login_hint: 'ada\u0000' }],
      ['eleven acr_values', { acr_values: Array.from({ length: 11 }, (_, i) => `urn:acr:${i}`).join(' ') }],
      ['an acr value of 256 characters', { acr_values: 'a'.repeat(256) }],
      ['a malformed ui_locales', { ui_locales: 'fr_FR' }],
      ['a malformed claims_locales', { claims_locales: 'de-' }],
      ['an unknown display', { display: 'fullscreen' }],
      ['an unknown prompt value', { prompt: 'login bogus' }],
      ['prompt=none with consent', { prompt: 'none consent' }],
      ['prompt=none with select_account', { prompt: 'select_account none' }],
      ['an id_token_hint over 8192 characters', { id_token_hint: 'a'.repeat(8200) }],
    ])('%s', async (_why, params) => {
      const location = await refused(params);
      expect(location.searchParams.get('error_description')).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
    });
  });

  describe('id_token_hint', () => {
    it.each([
      ['signed by another key', async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ sub: 'alice', aud: web.client_id, iss: service.url }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
      }],
      ['signed by our key with another issuer', async () => {
        const now = Math.floor(Date.now() / 1000);
        return (await ourSigner()).signJwt({ sub: 'alice', aud: web.client_id, iss: 'https://other.example.com', iat: now, exp: now + 300 }, 'JWT');
      }],
      ['our access token', async () => (await loginTokens(service, web)).tokens.access_token],
      ['tampered', async () => {
        const [header, payload, signature] = (await loginTokens(service, web)).tokens.id_token!.split('.');
        const changed = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object), sub: 'mallory' };
        return `${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
      }],
      ['garbage', async () => 'not.a.jwt'],
    ])('one we did not issue (%s) is invalid_request', async (_why, make) => {
      const location = await refused({ id_token_hint: await make() });
      expect(location.searchParams.get('error_description')).toBe('id_token_hint is not an ID token this server issued');
    });

    it('an expired one we signed is accepted: its sub reaches the login app', async () => {
      const long = Math.floor(Date.now() / 1000) - 86_400;
      const hint = await (await ourSigner()).signJwt({ iss: service.url, sub: 'old-alice', aud: web.client_id, iat: long, exp: long + 300 }, 'JWT');
      const context = (await describeChallenge(await challengeFor({ id_token_hint: hint })))['oidc_context'] as Record<string, unknown>;
      expect(context['id_token_hint_sub']).toBe('old-alice');
    });

    it('prompt=none with a hint for the session’s user: a code at once', async () => {
      const subject = uniqueSubject();
      const { tokens, browser } = await loginTokens(service, web, { accept: { subject } });
      await expectCodeAtOnce(browser, await authorizationRequest(service, web, { prompt: 'none', id_token_hint: tokens.id_token! }), service.url);
    });

    it('prompt=none with a hint for another user than the session’s: login_required, no code', async () => {
      const other = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const { browser } = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const request = await authorizationRequest(service, web, { prompt: 'none', id_token_hint: other.tokens.id_token! });
      const location = expectRedirectError(await browser.get(request.url), request.redirectUri, service.url, 'login_required', request.state);
      expect(location.searchParams.get('error_description')).toBe('the user must sign in');
    });

    it('a login the login app accepts for another user than the hint names ends in login_required, no code (OIDC Core §3.1.2.1)', async () => {
      const hinted = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const browser = new Browser();
      const request = await authorizationRequest(service, web, { prompt: 'login', id_token_hint: hinted.tokens.id_token! });
      const { challenge } = await expectLoginChallenge(browser, request.url);
      const completion = await browser.get(await accept(service, challenge, { subject: uniqueSubject() }));
      expectRedirectError(completion, request.redirectUri, service.url, 'login_required', request.state);
      // The hinted user logging in gets the code.
      const again = await authorizationRequest(service, web, { prompt: 'login', id_token_hint: hinted.tokens.id_token! });
      const next = await expectLoginChallenge(browser, again.url);
      const done = await browser.get(await accept(service, next.challenge, { subject: decodeJwt(hinted.tokens.id_token!).sub! }));
      expect(new URL(done.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    });

    it('without prompt, a hint for another user is not answered from the session: the login app gets it, with both subjects', async () => {
      const hinted = uniqueSubject();
      const current = uniqueSubject();
      const other = await loginTokens(service, web, { accept: { subject: hinted } });
      const { browser } = await loginTokens(service, web, { accept: { subject: current } });
      const body = await describeChallenge(await challengeFor({ id_token_hint: other.tokens.id_token! }, browser));
      expect(body['subject']).toBe(current);
      expect((body['oidc_context'] as Record<string, unknown>)['id_token_hint_sub']).toBe(hinted);
    });
  });

  describe('prompt values the login app honours', () => {
    it.each(['consent', 'select_account', 'login', 'login consent'])('prompt=%s with an SSO session is never answered silently: the login app gets it', async (prompt) => {
      const subject = uniqueSubject();
      const { browser } = await loginTokens(service, web, { accept: { subject } });
      const body = await describeChallenge(await challengeFor({ prompt }, browser));
      expect(body['subject']).toBe(subject);
      expect((body['oidc_context'] as Record<string, unknown>)['prompt']).toEqual(prompt.split(' '));
    });

    it('the same browser without prompt still gets a code at once (SSO)', async () => {
      const { browser } = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      await expectCodeAtOnce(browser, await authorizationRequest(service, web), service.url);
    });
  });

  describe('a claims request naming a sub value (OIDC Core §5.5.1: a positive answer only for that user)', () => {
    const forSub = (subject: string) => JSON.stringify({ id_token: { sub: { value: subject } } });

    it('the session’s own user: a code at once', async () => {
      const subject = uniqueSubject();
      const { browser } = await loginTokens(service, web, { accept: { subject } });
      await expectCodeAtOnce(browser, await authorizationRequest(service, web, { claims: forSub(subject) }), service.url);
    });

    it('another user: prompt=none is login_required; otherwise the login app is asked, and a login as someone else is login_required', async () => {
      const { browser } = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const wanted = uniqueSubject();
      const none = await authorizationRequest(service, web, { prompt: 'none', claims: forSub(wanted) });
      expectRedirectError(await browser.get(none.url), none.redirectUri, service.url, 'login_required', none.state);
      const request = await authorizationRequest(service, web, { claims: forSub(wanted) });
      const { challenge } = await expectLoginChallenge(browser, request.url);
      const completion = await browser.get(await accept(service, challenge, { subject: uniqueSubject() }));
      expectRedirectError(completion, request.redirectUri, service.url, 'login_required', request.state);
    });
  });

  describe('max_age (already enforced; pinned here with the ID token)', () => {
    it('within max_age: a code at once, the ID token carries the first login’s auth_time; past it: the login app, told max_age', async () => {
      const { tokens, browser } = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const authTime = decodeJwt(tokens.id_token!)['auth_time'];
      expect(typeof authTime).toBe('number');
      const within = await authorizationRequest(service, web, { max_age: '3600' });
      const callback = await expectCodeAtOnce(browser, within, service.url);
      const again = await expectTokens(await exchangeCode(service, web, callback.searchParams.get('code')!, within.verifier));
      expect(decodeJwt(again.id_token!)['auth_time']).toBe(authTime);
      const body = await describeChallenge(await challengeFor({ max_age: '0' }, browser));
      expect((body['oidc_context'] as Record<string, unknown>)['max_age']).toBe(0);
    });
  });

  it('discovery lists the prompt values that work', async () => {
    const metadata = (await (await fetch(`${service.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata['prompt_values_supported']).toEqual(['none', 'login', 'consent', 'select_account']);
  });
});
