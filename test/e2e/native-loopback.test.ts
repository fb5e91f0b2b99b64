import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  authorizationRequest,
  exchangeCode,
  expectErrorPage,
  expectTokenError,
  expectTokens,
  logInThrough,
  newPublicClient,
  refresh,
  uniqueSubject,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const REGISTERED = 'http://127.0.0.1/callback';
const EPHEMERAL = 'http://127.0.0.1:53412/callback';

/**
 * A native app (RFC 8252) registers its loopback redirect URI without a port and, at each login,
 * listens on whatever port the system gives it: /authorize must accept that port (§7.3), and
 * the code exchange must name the very URI the authorization request did.
 */
describe('native apps: loopback redirect URIs with any port (RFC 8252 §7.3)', () => {
  let service: TestServer;
  let native: TestClient;
  let v6: TestClient;
  let localhost: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    [native, v6, localhost] = await Promise.all([
      newPublicClient(service, { client_name: 'native cli', redirect_uris: [REGISTERED], post_logout_redirect_uris: ['http://127.0.0.1/signed-out'] }),
      newPublicClient(service, { client_name: 'native v6', redirect_uris: ['http://[::1]:8080/callback'] }),
      newPublicClient(service, { client_name: 'native localhost', redirect_uris: ['http://localhost/callback'] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** Logs in through /authorize with `redirectUri` and returns the code with its request. */
  const login = async (client: TestClient, redirectUri: string) => {
    const request = await authorizationRequest(service, client, { redirect_uri: redirectUri });
    const browser = new Browser();
    const { code, callback } = await logInThrough(service, browser, request, { subject: uniqueSubject('native') });
    return { code, callback, request, browser };
  };

  it('a client registered with http://127.0.0.1/callback completes the code flow on port 53412, and refreshes', async () => {
    const { code, callback, request } = await login(native, EPHEMERAL);
    // The code goes to the port the app listens on, not to the registered (portless) URI.
    expect(`${callback.origin}${callback.pathname}`).toBe(EPHEMERAL);
    const tokens = await expectTokens(await exchangeCode(service, native, code, request.verifier, { redirect_uri: EPHEMERAL }));
    expect(tokens.refresh_token).toBeTruthy();
    await expectTokens(await refresh(service, native, tokens.refresh_token!));
  });

  it('the code exchange with another port than the authorization request is refused, and the code stays usable', async () => {
    const { code, request } = await login(native, EPHEMERAL);
    for (const other of ['http://127.0.0.1:53413/callback', REGISTERED]) {
      await expectTokenError(await exchangeCode(service, native, code, request.verifier, { redirect_uri: other }), 400, 'invalid_grant');
    }
    // Refused without being used up: the right URI still redeems it.
    await expectTokens(await exchangeCode(service, native, code, request.verifier, { redirect_uri: EPHEMERAL }));
  });

  it('the registered URI itself, without a port, still works', async () => {
    const { code, request } = await login(native, REGISTERED);
    await expectTokens(await exchangeCode(service, native, code, request.verifier, { redirect_uri: REGISTERED }));
  });

  it('[::1] registered with a port matches another port, and none', async () => {
    for (const uri of ['http://[::1]:61000/callback', 'http://[::1]/callback']) {
      const { code, request, callback } = await login(v6, uri);
      expect(`${callback.origin}${callback.pathname}`).toBe(uri);
      await expectTokens(await exchangeCode(service, v6, code, request.verifier, { redirect_uri: uri }));
    }
  });

  it.each([
    ['another loopback address', 'http://127.0.0.2:53412/callback'],
    ['another path', 'http://127.0.0.1:53412/other'],
    ['an added query', 'http://127.0.0.1:53412/callback?x=1'],
    ['https', 'https://127.0.0.1:53412/callback'],
    ['the scheme in upper case', 'HTTP://127.0.0.1:53412/callback'],
    ['a host that begins with the address', 'http://127.0.0.1.evil.example:53412/callback'],
    ['the address as userinfo', 'http://127.0.0.1@evil.example/callback'],
    ['localhost', 'http://localhost:53412/callback'],
  ])('/authorize refuses %s on a page, never redirecting to it', async (_why, uri) => {
    const request = await authorizationRequest(service, native, { redirect_uri: uri });
    await expectErrorPage(await fetch(request.url, { redirect: 'manual' }), 'invalid_request');
  });

  it('a client registered with http://localhost/callback gets no port relaxation (RFC 8252 §8.3)', async () => {
    const request = await authorizationRequest(service, localhost, { redirect_uri: 'http://localhost:53412/callback' });
    await expectErrorPage(await fetch(request.url, { redirect: 'manual' }), 'invalid_request');
    const { code, request: exact } = await login(localhost, 'http://localhost/callback');
    await expectTokens(await exchangeCode(service, localhost, code, exact.verifier, { redirect_uri: 'http://localhost/callback' }));
  });

  it('post_logout_redirect_uri on the loopback matches any port too; another path does not', async () => {
    const { code, request, browser } = await login(native, EPHEMERAL);
    const tokens = await expectTokens(await exchangeCode(service, native, code, request.verifier, { redirect_uri: EPHEMERAL }));
    const logout = (uri: string) =>
      browser.get(`${service.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri, state: 's1' })}`);
    await expectErrorPage(await logout('http://127.0.0.1:53412/elsewhere'));
    const response = await logout('http://127.0.0.1:53412/signed-out');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:53412/signed-out?state=s1');
  });
});
