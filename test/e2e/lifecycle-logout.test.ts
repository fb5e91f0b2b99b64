import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import { Browser } from '../support/browser.ts';
import {
  authorizationRequest,
  cloneBrowser,
  exchangeCode,
  expectActive,
  expectCodeAtOnce,
  expectErrorPage,
  expectInactive,
  expectLoginChallenge,
  expectTokenError,
  expectTokens,
  loginTokens,
  newClient,
  refresh,
  setCookies,
  uniqueSubject,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const SESSION = 'lifespan_session';
const SIGNED_OUT = 'https://app.example.com/signed-out';

const unescapeHtml = (value: string) => value.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));

/**
 * The confirmation page of a logout no valid id_token_hint vouched for: HTML, never a redirect,
 * no cookie touched, a form POSTing to /logout. Returns the form's hidden fields and the page's
 * CSP form-action sources.
 */
async function expectConfirmation(response: Response, status = 200): Promise<{ fields: Record<string, string>; formAction: string[] }> {
  const text = await response.text();
  expect({ status: response.status, location: response.headers.get('location') }).toEqual({ status, location: null });
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.getSetCookie()).toEqual([]);
  expect(text).toContain('<h1>Log out of Lifespan?</h1>');
  expect(text).toMatch(/<form method="post" action="http:\/\/127\.0\.0\.1:\d+\/logout">/);
  const fields = Object.fromEntries(
    [...text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(([, name, value]) => [unescapeHtml(name!), unescapeHtml(value!)]),
  );
  expect(fields['csrf_token']).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
  const formAction = /form-action ([^;]*)/.exec(response.headers.get('content-security-policy') ?? '')![1]!.split(' ');
  return { fields, formAction };
}

/** RP-Initiated Logout (`GET|POST /logout`) over real HTTP. */
describe('GET|POST /logout', () => {
  let service: TestServer;
  let web: TestClient;
  let other: TestClient;

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    // A second client registers the URI of the 'another client’s registered URI' case.
    [web, other] = await Promise.all([
      newClient(service, { post_logout_redirect_uris: [SIGNED_OUT] }),
      newClient(service, { post_logout_redirect_uris: ['https://other.example.com/bye'] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const login = (subject = uniqueSubject(), client: TestClient = web) => loginTokens(service, client, { accept: { subject } });
  const logoutUrl = (params: Record<string, string>) => `${service.url}/logout?${new URLSearchParams(params).toString()}`;

  /** The browser's SSO session must still be there: /authorize with prompt=none gives a code at once. */
  const expectSession = async (browser: Browser, client: TestClient = web) =>
    expectCodeAtOnce(browser, await authorizationRequest(service, client, { prompt: 'none' }), service.url);
  /** The browser's SSO session must be gone: /authorize asks for a login. */
  const expectNoSession = async (browser: Browser, client: TestClient = web) =>
    expectLoginChallenge(browser, (await authorizationRequest(service, client)).url);

  it('with id_token_hint, a registered post_logout_redirect_uri and state: 302 there with the state, the cookie cleared, the SSO session gone', async () => {
    const { tokens, browser } = await login();
    expect(browser.cookies.has(SESSION)).toBe(true);
    // The cookie as it was: replaying it after the logout shows whether the server ended the session.
    const before = cloneBrowser(browser);
    const response = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'xyz-123' }));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(SIGNED_OUT);
    expect(location.searchParams.get('state')).toBe('xyz-123');
    const [cleared] = setCookies(response, SESSION);
    expect(cleared).toBeDefined();
    expect(cleared!.value).toBe('');
    expect(cleared!.attributes.get('max-age')).toBe('0');
    expect(browser.cookies.has(SESSION)).toBe(false);
    await expectNoSession(browser);
    await expectNoSession(before);
  });

  it('post_logout_redirect_uri without state: 302 to it exactly', async () => {
    const { tokens, browser } = await login();
    const response = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(SIGNED_OUT);
  });

  describe('without a valid id_token_hint, nothing ends until the user confirms (RP-Initiated Logout §2)', () => {
    it('a bare cross-site GET /logout (a top-level navigation carries the Lax cookie) shows the confirmation page; the session stays', async () => {
      const { browser } = await login();
      const { fields, formAction } = await expectConfirmation(await browser.get(`${service.url}/logout`));
      expect(Object.keys(fields)).toEqual(['csrf_token']);
      // Nothing validated to go back to: the form may only submit here.
      expect(formAction).toEqual(["'self'"]);
      await expectSession(browser);
    });

    it('GET and POST (an RP’s form) alike carry a registered post_logout_redirect_uri, client_id and state to the form; its CSP adds that origin only', async () => {
      const { browser } = await login();
      const params = { client_id: web.client_id, post_logout_redirect_uri: SIGNED_OUT, state: 'st"<&' };
      for (const response of [await browser.get(logoutUrl(params)), await browser.post(`${service.url}/logout`, params)]) {
        const { fields, formAction } = await expectConfirmation(response);
        expect(fields).toEqual({ csrf_token: expect.any(String), ...params });
        expect(formAction).toEqual(["'self'", 'https://app.example.com']);
      }
      await expectSession(browser);
    });

    it('a POST without the token, with a wrong one, or with another session’s, shows the page again and ends nothing; a token in a GET query is not a confirmation', async () => {
      const { browser } = await login();
      const other = await login();
      const { fields } = await expectConfirmation(await browser.get(logoutUrl({ client_id: web.client_id, post_logout_redirect_uri: SIGNED_OUT })));
      const { fields: theirs } = await expectConfirmation(await other.browser.get(`${service.url}/logout`));
      const { csrf_token: token, ...carried } = fields;
      await expectConfirmation(await browser.post(`${service.url}/logout`, carried));
      await expectConfirmation(await browser.post(`${service.url}/logout`, { ...carried, csrf_token: 'wrong' }), 400);
      await expectConfirmation(await browser.post(`${service.url}/logout`, { ...carried, csrf_token: `${token!.slice(0, -1)}x` }), 400);
      await expectConfirmation(await browser.post(`${service.url}/logout`, { ...carried, csrf_token: theirs['csrf_token']! }), 400);
      await expectConfirmation(await browser.get(logoutUrl({ ...carried, csrf_token: token! })));
      // The right token with another browser's cookie: still not theirs to end.
      await expectConfirmation(await other.browser.post(`${service.url}/logout`, { csrf_token: token! }), 400);
      await expectSession(browser);
      await expectSession(other.browser);
    });

    it('the page’s token, POSTed back: the session ends, the cookie is cleared, 302 to post_logout_redirect_uri with state', async () => {
      const { browser } = await login();
      const before = cloneBrowser(browser);
      const { fields } = await expectConfirmation(await browser.get(logoutUrl({ client_id: web.client_id, post_logout_redirect_uri: SIGNED_OUT, state: 'xyz' })));
      const response = await browser.post(`${service.url}/logout`, fields);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${SIGNED_OUT}?state=xyz`);
      expect(setCookies(response, SESSION)[0]?.attributes.get('max-age')).toBe('0');
      await expectNoSession(before);
    });

    it('without post_logout_redirect_uri: confirmed, a signed-out page', async () => {
      const { browser } = await login();
      const before = cloneBrowser(browser);
      const { fields } = await expectConfirmation(await browser.get(`${service.url}/logout`));
      const response = await browser.post(`${service.url}/logout`, fields);
      expect(response.status).toBe(200);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('You are signed out');
      expect(setCookies(response, SESSION)[0]?.attributes.get('max-age')).toBe('0');
      await expectNoSession(before);
    });

    it('a browser without a session has nothing to confirm: signed-out page, or the registered post_logout_redirect_uri', async () => {
      const none = new Browser();
      const page = await none.get(`${service.url}/logout`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('You are signed out');
      const back = await none.get(logoutUrl({ client_id: web.client_id, post_logout_redirect_uri: SIGNED_OUT, state: 's' }));
      expect(back.status).toBe(302);
      expect(back.headers.get('location')).toBe(`${SIGNED_OUT}?state=s`);
    });
  });

  describe('post_logout_redirect_uri must be registered, exactly: otherwise a 400 page, no redirect, the session kept', () => {
    it.each([
      ['unregistered', 'https://evil.example.com/signed-out'],
      ['a trailing slash', `${SIGNED_OUT}/`],
      ['another case', 'https://app.example.com/Signed-Out'],
      ['an extra query', `${SIGNED_OUT}?next=/`],
      ['a prefix of it', 'https://app.example.com/signed-ou'],
      ['http instead of https', 'http://app.example.com/signed-out'],
      ['a default port spelt out', 'https://app.example.com:443/signed-out'],
      ['a fragment', `${SIGNED_OUT}#x`],
      ['another client’s registered URI', 'https://other.example.com/bye'],
    ])('%s', async (_why, uri) => {
      const { tokens, browser } = await login();
      const before = cloneBrowser(browser);
      await expectErrorPage(await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri, state: 's' })));
      await expectSession(before);
    });

    it('a post_logout_redirect_uri without id_token_hint or client_id', async () => {
      const { browser } = await login();
      const before = cloneBrowser(browser);
      await expectErrorPage(await browser.get(logoutUrl({ post_logout_redirect_uri: SIGNED_OUT })));
      await expectSession(before);
    });
  });

  describe('an id_token_hint that is not an ID token of this server is not used: the confirmation page, no redirect, the session kept until confirmed', () => {
    const claims = (subject: string) => ({ sub: subject, aud: web.client_id, iss: service.url });

    it.each([
      ['signed by another key (another issuer’s token)', async (subject: string) => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT(claims(subject)).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
      }],
      ['signed by this server’s key with another iss', async (subject: string) => {
        const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(process.env['LIFESPAN_LOCAL_KEY_FILE']!, 'RS256'));
        const now = Math.floor(Date.now() / 1000);
        return signer.signJwt({ ...claims(subject), iss: 'https://other-issuer.example.com', iat: now, exp: now + 300 }, 'JWT');
      }],
      ['tampered (the subject changed)', async (subject: string, idToken: string) => {
        const [header, payload, signature] = idToken.split('.');
        const changed = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>), sub: `${subject}-x` };
        return `${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
      }],
      ['garbage', async () => 'not.a.jwt'],
      ['an access token', async (_subject: string, _idToken: string, accessToken: string) => accessToken],
    ])('%s', async (_why, make) => {
      const subject = uniqueSubject();
      const { tokens, browser } = await login(subject);
      const before = cloneBrowser(browser);
      const hint = await make(subject, tokens.id_token!, tokens.access_token);
      // Nothing the failed hint came with is acted on (§4): the form carries no redirect, the CSP lists no client.
      const requests: Array<Record<string, string>> = [
        { id_token_hint: hint, post_logout_redirect_uri: SIGNED_OUT },
        { id_token_hint: hint, client_id: web.client_id, post_logout_redirect_uri: SIGNED_OUT },
        { id_token_hint: hint },
      ];
      for (const params of requests) {
        const { fields, formAction } = await expectConfirmation(await browser.get(logoutUrl(params)));
        expect(Object.keys(fields)).toEqual(['csrf_token']);
        expect(formAction).toEqual(["'self'"]);
      }
      await expectSession(before);
      const { fields } = await expectConfirmation(await browser.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: SIGNED_OUT })));
      const confirmed = await browser.post(`${service.url}/logout`, fields);
      expect({ status: confirmed.status, location: confirmed.headers.get('location') }).toEqual({ status: 200, location: null });
      await expectNoSession(before);
    });

    it('an ID token of the same user from an earlier session (not this one, RP-Initiated Logout §2): the confirmation page, the session stays', async () => {
      const subject = uniqueSubject();
      const earlier = await login(subject);
      await earlier.browser.get(logoutUrl({ id_token_hint: earlier.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
      const { browser } = await login(subject);
      const { fields } = await expectConfirmation(await browser.get(logoutUrl({ id_token_hint: earlier.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT })));
      expect(fields['post_logout_redirect_uri']).toBe(SIGNED_OUT);
      await expectSession(browser);
    });

    it('an ID token of this server for another client than client_id: the confirmation page, no redirect', async () => {
      const { tokens, browser } = await login();
      const response = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, client_id: other.client_id, post_logout_redirect_uri: 'https://other.example.com/bye' }));
      const { fields, formAction } = await expectConfirmation(response);
      expect(Object.keys(fields)).toEqual(['csrf_token']);
      expect(formAction).toEqual(["'self'"]);
      await expectSession(browser);
    });
  });

  describe('an id_token_hint for another subject does not end this browser’s session', () => {
    it('the server keeps the session (its cookie, replayed, still gives a code at once)', async () => {
      const alice = await login(uniqueSubject('alice'));
      const bob = await login(uniqueSubject('bob'));
      const before = cloneBrowser(alice.browser);
      await alice.browser.get(logoutUrl({ id_token_hint: bob.tokens.id_token! }));
      await expectSession(before);
    });

    it('and the browser keeps its session cookie: the next /authorize of that browser gives a code at once', async () => {
      const alice = await login(uniqueSubject('alice'));
      const bob = await login(uniqueSubject('bob'));
      const response = await alice.browser.get(logoutUrl({ id_token_hint: bob.tokens.id_token! }));
      expect(setCookies(response, SESSION).filter((cookie) => cookie.attributes.get('max-age') === '0')).toEqual([]);
      await expectSession(alice.browser);
    });
  });

  describe('revoke_all_on_logout', () => {
    it('false (the default): after logout the user’s refresh tokens keep working', async () => {
      const subject = uniqueSubject();
      const { tokens, browser } = await login(subject);
      const elsewhere = await login(subject);
      const response = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
      expect(response.status).toBe(302);
      await expectTokens(await refresh(service, web, tokens.refresh_token!));
      await expectTokens(await refresh(service, web, elsewhere.tokens.refresh_token!));
    });

    it('true: after logout the user’s refresh tokens are refused (invalid_grant) and inactive; another user’s keep working', async () => {
      await writeParameters(service, { introspection_cache_ttl: 0, revoke_all_on_logout: true });
      try {
        const subject = uniqueSubject();
        const { tokens, browser } = await login(subject);
        // A second family of the same session (an SSO code for the same browser).
        const request = await authorizationRequest(service, web);
        const callback = await expectCodeAtOnce(browser, request, service.url);
        const sibling = await expectTokens(await exchangeCode(service, web, callback.searchParams.get('code')!, request.verifier));
        const bystander = await login(uniqueSubject());
        const response = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
        expect(response.status).toBe(302);
        await expectInactive(service, web, tokens.refresh_token!);
        await expectInactive(service, web, tokens.access_token);
        await expectTokenError(await refresh(service, web, tokens.refresh_token!), 400, 'invalid_grant');
        await expectTokenError(await refresh(service, web, sibling.refresh_token!), 400, 'invalid_grant');
        await expectActive(service, web, bystander.tokens.refresh_token!);
        await expectTokens(await refresh(service, web, bystander.tokens.refresh_token!));

        // Without a hint: a bare GET and an unconfirmed POST revoke nothing; the confirmation does.
        const unhinted = await login(uniqueSubject());
        const { fields } = await expectConfirmation(await unhinted.browser.get(`${service.url}/logout`));
        await expectConfirmation(await unhinted.browser.post(`${service.url}/logout`, {}));
        await expectConfirmation(await unhinted.browser.post(`${service.url}/logout`, { csrf_token: 'wrong' }), 400);
        await expectActive(service, web, unhinted.tokens.refresh_token!);
        await expectSession(unhinted.browser);
        await unhinted.browser.post(`${service.url}/logout`, fields);
        await expectInactive(service, web, unhinted.tokens.refresh_token!);
        await expectTokenError(await refresh(service, web, unhinted.tokens.refresh_token!), 400, 'invalid_grant');
      } finally {
        await writeParameters(service, { introspection_cache_ttl: 0 });
      }
    });
  });
});
