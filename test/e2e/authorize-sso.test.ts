import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  REDIRECT,
  accept,
  acceptRaw,
  authorizationRequest,
  cloneBrowser,
  exchangeCode,
  expectCodeAtOnce,
  expectErrorPage,
  expectLoginChallenge,
  expectRedirectError,
  expectTokens,
  logInThrough,
  newClient,
  rejectRaw,
  setCookies,
  sleep,
  startOfNextSecond,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const SESSION = 'lifespan_session';
const BINDING = 'lifespan_login';

/** SSO sessions, step-up and the login delegation (admin login-request API), over real HTTP. */
describe('SSO session and login delegation', () => {
  let service: TestServer;
  let client: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    client = await newClient(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const request = (params: Record<string, string | undefined> = {}) => authorizationRequest(service, client, params);

  describe('single sign-on', () => {
    it('after a login, the same browser gets a code at once, for the same user and session', async () => {
      const browser = new Browser();
      const first = await request();
      const login = await logInThrough(service, browser, first);
      const firstTokens = await expectTokens(await exchangeCode(service, client, login.code, first.verifier));

      const second = await request();
      const callback = await expectCodeAtOnce(browser, second, service.url);
      const tokens = await expectTokens(await exchangeCode(service, client, callback.searchParams.get('code')!, second.verifier));
      const [before, after] = [decodeJwt(firstTokens.id_token!), decodeJwt(tokens.id_token!)];
      expect(after.sub).toBe('alice');
      expect(after['sid']).toBe(before['sid']);
      expect(after['auth_time']).toBe(before['auth_time']);
      expect(after['nonce']).toBe(second.nonce);
    });

    it('prompt=none with a session: a code at once', async () => {
      const browser = new Browser();
      await logInThrough(service, browser, await request());
      await expectCodeAtOnce(browser, await request({ prompt: 'none' }), service.url);
    });

    it('a different browser (no cookie) gets a login challenge', async () => {
      await logInThrough(service, new Browser(), await request());
      await expectLoginChallenge(new Browser(), (await request()).url);
    });

    it('a browser with a made-up session cookie gets a login challenge', async () => {
      const browser = new Browser();
      browser.cookies.set(SESSION, randomBytes(32).toString('base64url'));
      await expectLoginChallenge(browser, (await request()).url);
    });

    it('prompt=login forces a new login challenge, and the login app is told the current subject', async () => {
      const browser = new Browser();
      await logInThrough(service, browser, await request());
      const { challenge } = await expectLoginChallenge(browser, (await request({ prompt: 'login' })).url);
      const described = await service.admin(`/admin/login-requests/${challenge}`);
      expect(described.status).toBe(200);
      expect(await described.json()).toMatchObject({ subject: 'alice', oidc_context: { prompt: ['login'] } });
    });

    it('max_age=0 right after a login forces a new login, and prompt=none then gives login_required (max_age=0 is prompt=login, OIDC Core §3.1.2.1)', async () => {
      // Everything below happens within one wall-clock second, so the session's age is 0 s.
      await startOfNextSecond();
      const browser = new Browser();
      await logInThrough(service, browser, await request());
      const none = await request({ max_age: '0', prompt: 'none' });
      expectRedirectError(await browser.get(none.url), REDIRECT, service.url, 'login_required', none.state);
      await expectLoginChallenge(browser, (await request({ max_age: '0' })).url);
    });

    it('a max_age smaller than the time since the login forces a new login; prompt=none then gives login_required', async () => {
      const browser = new Browser();
      await logInThrough(service, browser, await request());
      // A generous max_age is satisfied by the session.
      await expectCodeAtOnce(browser, await request({ max_age: '3600' }), service.url);
      await sleep(2_100);
      await expectLoginChallenge(browser, (await request({ max_age: '1' })).url);
      const none = await request({ max_age: '1', prompt: 'none' });
      expectRedirectError(await browser.get(none.url), REDIRECT, service.url, 'login_required', none.state);
      // The session itself is still there for requests that do not ask for a recent login.
      await expectCodeAtOnce(browser, await request(), service.url);
    });
  });

  describe('cookies', () => {
    it('the session cookie is HttpOnly, SameSite=Lax, Path=/, a browser-session cookie, and (over http) neither Secure nor __Host-', async () => {
      const browser = new Browser();
      const sent = await request();
      const { response } = await expectLoginChallenge(browser, sent.url);
      const [binding] = setCookies(response, BINDING);
      expect(binding).toBeDefined();
      expect(binding!.attributes.has('httponly')).toBe(true);
      expect(binding!.attributes.get('samesite')).toBe('Lax');
      expect(binding!.attributes.has('secure')).toBe(false);
      expect(Number(binding!.attributes.get('max-age'))).toBeGreaterThan(0);

      const challenge = new URL(response.headers.get('location')!).searchParams.get('login_challenge')!;
      const completion = await browser.get(await accept(service, challenge));
      expect(completion.status).toBe(302);
      const lines = completion.headers.getSetCookie();
      expect(lines.some((line) => line.startsWith('__Host-'))).toBe(false);
      const [session] = setCookies(completion, SESSION);
      expect(session).toBeDefined();
      expect(session!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session!.attributes.has('httponly')).toBe(true);
      expect(session!.attributes.get('samesite')).toBe('Lax');
      expect(session!.attributes.get('path')).toBe('/');
      expect(session!.attributes.has('secure')).toBe(false);
      expect(session!.attributes.has('max-age')).toBe(false);
      expect(session!.attributes.has('expires')).toBe(false);
      // The login binding cookie is cleared once used.
      const [cleared] = setCookies(completion, BINDING);
      expect(cleared?.attributes.get('max-age')).toBe('0');
    });

    it('remember=true makes the session cookie persistent', async () => {
      const browser = new Browser();
      const { challenge } = await expectLoginChallenge(browser, (await request()).url);
      const completion = await browser.get(await accept(service, challenge, { subject: 'alice', remember: true }));
      const [session] = setCookies(completion, SESSION);
      expect(Number(session?.attributes.get('max-age'))).toBeGreaterThan(0);
    });

    it('each login gives a new session cookie value (fixation), and the old value no longer signs in', async () => {
      const browser = new Browser();
      await logInThrough(service, browser, await request());
      const first = browser.cookies.get(SESSION)!;
      const holdsOld = cloneBrowser(browser);
      await logInThrough(service, browser, await request({ prompt: 'login' }));
      const second = browser.cookies.get(SESSION)!;
      expect(second).toBeTruthy();
      expect(second).not.toBe(first);
      await expectCodeAtOnce(browser, await request(), service.url);
      await expectLoginChallenge(holdsOld, (await request()).url);
    });

    it('a session cookie planted before the login is replaced by a fresh one', async () => {
      const browser = new Browser();
      const planted = randomBytes(32).toString('base64url');
      browser.cookies.set(SESSION, planted);
      await logInThrough(service, browser, await request());
      expect(browser.cookies.get(SESSION)).not.toBe(planted);
    });
  });

  describe('the login verifier', () => {
    it('cannot be used twice (a 400 page, even with the login binding cookie still present)', async () => {
      const browser = new Browser();
      const { challenge } = await expectLoginChallenge(browser, (await request()).url);
      const redirectTo = await accept(service, challenge);
      const withBinding = cloneBrowser(browser);
      expect(withBinding.cookies.has(BINDING)).toBe(true);
      expect((await browser.get(redirectTo)).status).toBe(302);
      await expectErrorPage(await withBinding.get(redirectTo), 'invalid_request');
      await expectErrorPage(await browser.get(redirectTo), 'invalid_request');
    });

    it('cannot be used by another browser (no login binding cookie): a 400 page, no session', async () => {
      const { challenge } = await expectLoginChallenge(new Browser(), (await request()).url);
      const redirectTo = await accept(service, challenge);
      const other = new Browser();
      await expectErrorPage(await other.get(redirectTo), 'invalid_request');
      expect(other.cookies.has(SESSION)).toBe(false);
    });

    it("cannot be used with another login's binding cookie", async () => {
      const victim = new Browser();
      const { challenge } = await expectLoginChallenge(victim, (await request()).url);
      const redirectTo = await accept(service, challenge);
      const attacker = new Browser();
      await expectLoginChallenge(attacker, (await request()).url);
      expect(attacker.cookies.has(BINDING)).toBe(true);
      await expectErrorPage(await attacker.get(redirectTo), 'invalid_request');
    });

    it.each([
      ['garbage', 'garbage'],
      ['three parts', 'a.b.c'],
      ['an unknown challenge', `${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}`],
    ])('a malformed or unknown verifier (%s): a 400 page', async (_why, verifier) => {
      const response = await new Browser().get(`${service.url}/authorize?login_verifier=${encodeURIComponent(verifier)}`);
      await expectErrorPage(response, 'invalid_request');
    });

    it('a right challenge with a wrong secret: a 400 page, and the right verifier still works', async () => {
      const browser = new Browser();
      const sent = await request();
      const { challenge } = await expectLoginChallenge(browser, sent.url);
      const redirectTo = new URL(await accept(service, challenge));
      const forged = new URL(redirectTo);
      forged.searchParams.set('login_verifier', `${challenge}.${randomBytes(32).toString('base64url')}`);
      await expectErrorPage(await browser.get(forged.toString()), 'invalid_request');
      const completion = await browser.get(redirectTo.toString());
      expect(completion.status).toBe(302);
      expect(new URL(completion.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    });
  });

  describe('admin login-request API', () => {
    const unknown = () => randomBytes(32).toString('base64url');

    const expectAdminError = async (response: Response, status: number, error: string) => {
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
      expect(body['error']).toBe(error);
    };

    it('GET describes the client, the requested scope and audience, and the OIDC context', async () => {
      const sent = await request({ scope: 'openid orders:read', max_age: '600' });
      const { challenge } = await expectLoginChallenge(new Browser(), sent.url);
      const response = await service.admin(`/admin/login-requests/${challenge}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        challenge,
        client: { client_id: client.client_id, client_name: 'e2e client' },
        requested_scope: ['openid', 'orders:read'],
        requested_audience: 'orders-api',
        oidc_context: { max_age: 600 },
      });
      expect(body['subject']).toBeUndefined();
      expect(typeof body['expires_at']).toBe('number');
    });

    it('an unknown or malformed challenge: 404 on GET, accept and reject', async () => {
      for (const challenge of [unknown(), 'not-a-challenge']) {
        await expectAdminError(await service.admin(`/admin/login-requests/${challenge}`), 404, 'not_found');
        await expectAdminError(await acceptRaw(service, challenge, { subject: 'alice' }), 404, 'not_found');
        await expectAdminError(await rejectRaw(service, challenge, {}), 404, 'not_found');
      }
    });

    it('accept twice: 404 the second time; the handled request is no longer described', async () => {
      const { challenge } = await expectLoginChallenge(new Browser(), (await request()).url);
      await accept(service, challenge);
      await expectAdminError(await acceptRaw(service, challenge, { subject: 'mallory' }), 404, 'not_found');
      await expectAdminError(await rejectRaw(service, challenge, {}), 404, 'not_found');
      await expectAdminError(await service.admin(`/admin/login-requests/${challenge}`), 404, 'not_found');
    });

    it.each<[string, unknown]>([
      ['a missing subject', {}],
      ['an empty subject', { subject: '' }],
      ['a subject that is not a string', { subject: 42 }],
      ['a subject that is an object', { subject: { id: 'alice' } }],
      ['a subject with a control character', { subject: 'alice\n' }],
      ['an overlong subject', { subject: 'a'.repeat(256) }],
      ['an unknown field', { subject: 'alice', is_admin: true }],
      ['amr not an array', { subject: 'alice', amr: 'pwd' }],
      ['amr of non-strings', { subject: 'alice', amr: [1] }],
      ['acr not a string', { subject: 'alice', acr: 2 }],
      ['remember not a boolean', { subject: 'alice', remember: 'yes' }],
      ['claims not an object', { subject: 'alice', claims: ['email'] }],
      ['a JSON array body', [{ subject: 'alice' }]],
    ])('accept with %s: 400 invalid_request, and the challenge stays usable', async (_why, body) => {
      const browser = new Browser();
      const sent = await request();
      const { challenge } = await expectLoginChallenge(browser, sent.url);
      await expectAdminError(await acceptRaw(service, challenge, body), 400, 'invalid_request');
      const completion = await browser.get(await accept(service, challenge));
      expect(completion.status).toBe(302);
    });

    it('accept with a body that is not JSON: 415 / 400', async () => {
      const { challenge } = await expectLoginChallenge(new Browser(), (await request()).url);
      const path = `/admin/login-requests/${challenge}/accept`;
      await expectAdminError(await service.admin(path, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{"subject":"a"}' }), 415, 'invalid_request');
      await expectAdminError(await service.admin(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"subject":' }), 400, 'invalid_request');
    });

    it('the login-request routes need the admin token', async () => {
      const { challenge } = await expectLoginChallenge(new Browser(), (await request()).url);
      const response = await fetch(`${service.url}/admin/login-requests/${challenge}/accept`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'mallory' }),
      });
      expect(response.status).toBe(401);
      const wrong = await fetch(`${service.url}/admin/login-requests/${challenge}`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      // Still pending.
      expect((await service.admin(`/admin/login-requests/${challenge}`)).status).toBe(200);
    });

    it('reject: the client gets access_denied with its state and iss; the login cannot then be accepted', async () => {
      const browser = new Browser();
      const sent = await request();
      const { challenge } = await expectLoginChallenge(browser, sent.url);
      const response = await rejectRaw(service, challenge, {});
      expect(response.status).toBe(200);
      const { redirect_to: redirectTo } = (await response.json()) as { redirect_to: string };
      const location = new URL(redirectTo);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe('access_denied');
      expect(location.searchParams.get('state')).toBe(sent.state);
      expect(location.searchParams.get('iss')).toBe(service.url);
      expect(location.searchParams.get('code')).toBeNull();
      await expectAdminError(await acceptRaw(service, challenge, { subject: 'alice' }), 404, 'not_found');
      await expectAdminError(await rejectRaw(service, challenge, {}), 404, 'not_found');
    });

    it('reject with another allowed error and a description passes them on', async () => {
      const sent = await request();
      const { challenge } = await expectLoginChallenge(new Browser(), sent.url);
      const response = await rejectRaw(service, challenge, { error: 'login_required', error_description: 'user went away' });
      expect(response.status).toBe(200);
      const location = new URL(((await response.json()) as { redirect_to: string }).redirect_to);
      expect(location.searchParams.get('error')).toBe('login_required');
      expect(location.searchParams.get('error_description')).toBe('user went away');
      expect(location.searchParams.get('state')).toBe(sent.state);
    });

    it.each<[string, unknown]>([
      ['an error not in the list', { error: 'server_error' }],
      ['an error that is not a string', { error: 1 }],
      ['an unknown field', { error: 'access_denied', redirect_uri: 'https://evil.example.com' }],
      ['a description that is not a string', { error_description: 5 }],
    ])('reject with %s: 400 invalid_request, and the challenge stays pending', async (_why, body) => {
      const { challenge } = await expectLoginChallenge(new Browser(), (await request()).url);
      await expectAdminError(await rejectRaw(service, challenge, body), 400, 'invalid_request');
      expect((await service.admin(`/admin/login-requests/${challenge}`)).status).toBe(200);
    });
  });
});
