import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  accept,
  authorizationRequest,
  discover,
  exchangeCode,
  expectErrorPage,
  expectLoginChallenge,
  expectRedirectError,
  expectTokens,
  loginTokens,
  newClient,
  tokenRequest,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** RFC 6749 §4.1.2.1 / §5.2: the characters an error_description may hold. */
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** The MUSTs of OIDC Core, RP-Initiated Logout and RFC 6749/6750 that a certification plan checks. */
describe('OpenID MUSTs', () => {
  let service: TestServer;
  let web: TestClient;
  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const params = (url: string) => Object.fromEntries(new URL(url).searchParams);

  it('POST /authorize with a form body works as GET: login, code, tokens (OIDC Core §3.1.2.1)', async () => {
    const request = await authorizationRequest(service, web);
    const browser = new Browser();
    const started = await browser.post(`${service.url}/authorize`, params(request.url));
    expect(started.status).toBe(302);
    const challenge = new URL(started.headers.get('location')!).searchParams.get('login_challenge')!;
    const completion = await browser.get(await accept(service, challenge, { subject: 'poster' }));
    const callback = new URL(completion.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe(request.state);
    await expectTokens(await exchangeCode(service, web, callback.searchParams.get('code')!, request.verifier));
    // And a repeated parameter in the body is refused as in the query.
    const repeated = new URLSearchParams(params(request.url));
    repeated.append('scope', 'openid');
    const refused = await fetch(`${service.url}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: repeated.toString() });
    expectRedirectError(refused, request.redirectUri, service.url, 'invalid_request', request.state);
  });

  it('POST /authorize without a form body is a 415 page, never a redirect', async () => {
    const response = await fetch(`${service.url}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(415);
    expect(response.headers.get('location')).toBeNull();
  });

  it('request_uri is request_uri_not_supported, request is request_not_supported (OIDC Core §6)', async () => {
    const byReference = await authorizationRequest(service, web, { request_uri: 'https://rp.example.com/request.jwt' });
    expectRedirectError(await fetch(byReference.url, { redirect: 'manual' }), byReference.redirectUri, service.url, 'request_uri_not_supported', byReference.state);
    const byValue = await authorizationRequest(service, web, { request: 'eyJhbGciOiJub25lIn0.e30.' });
    expectRedirectError(await fetch(byValue.url, { redirect: 'manual' }), byValue.redirectUri, service.url, 'request_not_supported', byValue.state);
  });

  it('redirect_uri is required in an OpenID Connect request, even for a client with one registered; plain OAuth may omit it', async () => {
    const oidc = await authorizationRequest(service, web, { redirect_uri: undefined });
    await expectErrorPage(await fetch(oidc.url, { redirect: 'manual' }), 'invalid_request');
    const oauthOnly = await authorizationRequest(service, web, { redirect_uri: undefined, scope: 'orders:read' });
    await expectLoginChallenge(new Browser(), oauthOnly.url);
  });

  it('error_description never carries raw input: only RFC 6749’s characters, at /token and in redirects', async () => {
    const token = await tokenRequest(service, { grant_type: 'ünicode"\\grant' }, web);
    const body = (await token.json()) as { error_description: string };
    expect(body.error_description).toMatch(DESCRIPTION);
    expect(body.error_description).not.toContain('ü');
    const request = await authorizationRequest(service, web, {}, [['x"é\\', '1'], ['x"é\\', '2']]);
    const redirected = await fetch(request.url, { redirect: 'manual' });
    const location = new URL(redirected.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(DESCRIPTION);
  });

  it('an error_description from the login app outside those characters is refused at reject (400), nothing rejected', async () => {
    const request = await authorizationRequest(service, web);
    const { challenge } = await expectLoginChallenge(new Browser(), request.url);
    const reject = (description: string) =>
      service.admin(`/admin/login-requests/${challenge}/reject`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'access_denied', error_description: description }),
      });
    expect((await reject('the user said "no"')).status).toBe(400);
    expect((await reject('the user said no')).status).toBe(200);
  });

  it('discovery lists scopes_supported and claims_supported, and POST where the endpoints take it', async () => {
    const metadata = (await discover(service)) as unknown as Record<string, unknown>;
    expect(metadata['scopes_supported']).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
    expect(metadata['claims_supported']).toEqual(expect.arrayContaining(['sub', 'email', 'name']));
  });

  it('every endpoint discovery advertises answers each method it must, with something other than 404 or 405', async () => {
    const metadata = (await (await fetch(`${service.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    // OIDC Core §3.1.2.1, §5.3.1 and RP-Initiated Logout §2: GET and POST; RFC 6749 §3.2, RFC 7009,
    // RFC 7662, RFC 8628: POST; RFC 8414 / OIDC Discovery: the JWK Set by GET.
    const methods: Record<string, readonly ('GET' | 'POST')[]> = {
      authorization_endpoint: ['GET', 'POST'],
      userinfo_endpoint: ['GET', 'POST'],
      end_session_endpoint: ['GET', 'POST'],
      token_endpoint: ['POST'],
      revocation_endpoint: ['POST'],
      introspection_endpoint: ['POST'],
      device_authorization_endpoint: ['POST'],
      jwks_uri: ['GET'],
    };
    const advertised = Object.keys(metadata).filter((name) => name.endsWith('_endpoint') || name.endsWith('_uri'));
    // Each one is in the table (a new endpoint must say which methods it owes), and the table is all advertised.
    expect(advertised.sort()).toEqual(Object.keys(methods).sort());
    for (const [name, needed] of Object.entries(methods)) {
      const url = metadata[name] as string;
      expect(url.startsWith(service.url), name).toBe(true);
      for (const method of needed) {
        const response = await fetch(url, {
          method,
          redirect: 'manual',
          ...(method === 'POST' && { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }),
        });
        await response.arrayBuffer();
        // No parameters: a refusal (400, 401, a page) is the right answer; a missing route is not, nor a crash.
        expect([404, 405], `${method} ${name}`).not.toContain(response.status);
        expect(response.status, `${method} ${name}`).toBeLessThan(500);
      }
    }
  });

  it('/userinfo answers GET and POST, with the bearer header or (POST) the form body; never both, never the query (RFC 6750 §2)', async () => {
    const { tokens } = await loginTokens(service, web, { params: { scope: 'openid' } });
    const url = `${service.url}/userinfo`;
    expect((await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const byBody = await fetch(url, { method: 'POST', headers: form, body: new URLSearchParams({ access_token: tokens.access_token }).toString() });
    expect(byBody.status).toBe(200);
    expect(((await byBody.json()) as { sub: string }).sub).toBe('alice');
    const both = await fetch(url, { method: 'POST', headers: { ...form, authorization: `Bearer ${tokens.access_token}` }, body: new URLSearchParams({ access_token: tokens.access_token }).toString() });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: string }).error).toBe('invalid_request');
    expect((await fetch(`${url}?access_token=${tokens.access_token}`)).status).toBe(401);
    const preflight = await fetch(url, { method: 'OPTIONS' });
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('POST /logout with a form body signs out as GET does (RP-Initiated Logout §2)', async () => {
    const { browser, tokens } = await loginTokens(service, web);
    // Without a hint, POST asks the user first, as GET does: the session is still there.
    const unconfirmed = await browser.post(`${service.url}/logout`, {});
    expect(unconfirmed.status).toBe(200);
    expect(await unconfirmed.text()).toContain('Log out of Lifespan?');
    const still = await authorizationRequest(service, web, { prompt: 'none' });
    expect(new URL((await browser.get(still.url)).headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const response = await browser.post(`${service.url}/logout`, { id_token_hint: tokens.id_token! });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are signed out');
    const none = await authorizationRequest(service, web, { prompt: 'none' });
    expectRedirectError(await browser.get(none.url), none.redirectUri, service.url, 'login_required', none.state);
  });
});
