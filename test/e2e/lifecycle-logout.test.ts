import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import type { Browser } from '../support/browser.ts';
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

/** RP-Initiated Logout (`GET /logout`) over real HTTP. */
describe('GET /logout', () => {
  let service: TestServer;
  let web: TestClient;

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    // A second client registers the URI of the 'another client’s registered URI' case.
    [web] = await Promise.all([
      newClient(service, { post_logout_redirect_uris: [SIGNED_OUT] }),
      newClient(service, { post_logout_redirect_uris: ['https://other.example.com/bye'] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const login = (subject = uniqueSubject(), client: TestClient = web) => loginTokens(service, client, { accept: { subject } });
  const logoutUrl = (params: Record<string, string>) => `${service.url}/logout?${new URLSearchParams(params).toString()}`;

  /** The browser's SSO session must still be there: /authorize gives a code at once. */
  const expectSession = async (browser: Browser, client: TestClient = web) =>
    expectCodeAtOnce(browser, await authorizationRequest(service, client), service.url);
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

  it('without parameters: a signed-out page, the cookie cleared and the session gone', async () => {
    const { browser } = await login();
    const before = cloneBrowser(browser);
    const response = await browser.get(`${service.url}/logout`);
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(setCookies(response, SESSION)[0]?.attributes.get('max-age')).toBe('0');
    await expectNoSession(before);
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

  describe('an id_token_hint that is not an ID token of this server: a 400 page, the session kept', () => {
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
      await expectErrorPage(await browser.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: SIGNED_OUT })));
      await expectErrorPage(await browser.get(logoutUrl({ id_token_hint: hint })));
      await expectSession(before);
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
      } finally {
        await writeParameters(service, { introspection_cache_ttl: 0 });
      }
    });
  });
});
