import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, registerClient } from '../support/browser.ts';
import {
  accept,
  adminJson,
  authorizationRequest,
  expectActive,
  expectInactive,
  expectLoginChallenge,
  expectRedirectError,
  expectTokenError,
  expectTokens,
  exchangeCode,
  loginTokens,
  newClient,
  refresh,
  uniqueSubject,
  userinfoRequest,
  type TestClient,
  type Tokens,
} from '../support/flows.ts';
import { startSecondInstance, startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The emergency switches cannot be outlived: what each of them revokes is refused by the very
 * next request, at every endpoint, in every instance of every function — each instance here
 * keeps its own caches (client records, lifetimes, introspection answers), warmed before the
 * revocation — and nothing derived after it from a login made before it survives.
 */
describe('revocation takes effect at once, everywhere', () => {
  let a: TestServer;
  let b: TestServer;
  let web: TestClient;
  let api: TestClient;
  beforeAll(async () => {
    a = await startTestServer({ parameters: { introspection_cache_ttl: 60 } });
    b = await startSecondInstance(a);
    web = await newClient(a);
    api = await newClient(a, { client_name: 'orders api', redirect_uris: [], grant_types: ['client_credentials'], scopes: ['orders:read'] });
  });
  afterAll(async () => {
    await b?.server.close();
    await a?.server.close();
  });

  const event = (service: TestServer, subject: string, type: string) => adminJson(service, `/admin/users/${encodeURIComponent(subject)}/events`, { type });

  /** Everything instance `on` holds of a login, used once so its caches are warm. */
  async function warm(on: TestServer, client: TestClient, tokens: Tokens, browser: Browser): Promise<Tokens> {
    const next = await expectTokens(await refresh(on, client, tokens.refresh_token!));
    expect((await userinfoRequest(on, next.access_token)).status).toBe(200);
    await expectActive(on, api, next.access_token);
    const request = await authorizationRequest(on, client, { prompt: 'none' });
    expect((await browser.get(request.url)).headers.get('location')).toContain('code=');
    return next;
  }

  /** The very next request at each endpoint, on instance `on`, refuses what was revoked. */
  async function refusedEverywhere(on: TestServer, client: TestClient, tokens: Tokens, browser: Browser): Promise<void> {
    await expectTokenError(await refresh(on, client, tokens.refresh_token!), 400, 'invalid_grant');
    expect((await userinfoRequest(on, tokens.access_token)).status).toBe(401);
    await expectInactive(on, api, tokens.access_token);
    await expectInactive(on, client, tokens.refresh_token!);
    const none = await authorizationRequest(on, client, { prompt: 'none' });
    expectRedirectError(await browser.get(none.url), none.redirectUri, a.url, 'login_required', none.state);
  }

  it.each([
    ['compromised', (subject: string) => event(a, subject, 'compromised')],
    ['password_changed', (subject: string) => event(a, subject, 'password_changed')],
    ['a user revocation', (subject: string) => adminJson(a, '/admin/revocations', { scope: 'user', id: subject })],
  ])('%s through one instance: the next request to either instance is refused at /token, /userinfo, /introspect and /authorize', async (_, revoke) => {
    const subject = uniqueSubject();
    const login = await loginTokens(a, web, { accept: { subject } });
    const onA = await warm(a, web, login.tokens, login.browser);
    const onB = await warm(b, web, onA, login.browser);
    expect((await revoke(subject)).status).toBe(200);
    await refusedEverywhere(b, web, onB, login.browser);
    await refusedEverywhere(a, web, onB, login.browser);
  });

  it('a client revocation: that client’s refresh and access tokens are refused at once in both instances', async () => {
    const client = await newClient(a);
    const login = await loginTokens(a, client);
    const onB = await warm(b, client, await warm(a, client, login.tokens, login.browser), login.browser);
    expect((await adminJson(b, '/admin/revocations', { scope: 'client', id: client.client_id })).status).toBe(200);
    for (const on of [a, b]) {
      await expectTokenError(await refresh(on, client, onB.refresh_token!), 400, 'invalid_grant');
      expect((await userinfoRequest(on, onB.access_token)).status).toBe(401);
      await expectInactive(on, api, onB.access_token);
    }
  });

  it('a login accepted before the event and completed after it starts no session and issues no code', async () => {
    const subject = uniqueSubject();
    const browser = new Browser();
    const request = await authorizationRequest(a, web);
    const { challenge } = await expectLoginChallenge(browser, request.url);
    const redirectTo = await accept(a, challenge, { subject });
    expect((await event(b, subject, 'compromised')).status).toBe(200);
    expectRedirectError(await browser.get(redirectTo), request.redirectUri, a.url, 'access_denied', request.state);
    const none = await authorizationRequest(a, web, { prompt: 'none' });
    expectRedirectError(await browser.get(none.url), none.redirectUri, a.url, 'login_required', none.state);
  });

  it('a code from a login before the event, exchanged after it, yields nothing', async () => {
    const subject = uniqueSubject();
    const browser = new Browser();
    const request = await authorizationRequest(a, web);
    const { challenge } = await expectLoginChallenge(browser, request.url);
    const completion = await browser.get(await accept(a, challenge, { subject }));
    const code = new URL(completion.headers.get('location')!).searchParams.get('code')!;
    expect((await event(a, subject, 'compromised')).status).toBe(200);
    await expectTokenError(await exchangeCode(b, web, code, request.verifier), 400, 'invalid_grant');
  });

  it('a device approved before the event and polled after it gets access_denied, not tokens', async () => {
    const tv = await registerClient(a, {
      client_name: 'TV',
      type: 'public',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      scopes: ['openid', 'offline_access'],
    });
    const response = await fetch(`${a.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.client_id, scope: 'openid offline_access' }).toString(),
    });
    const device = (await response.json()) as { device_code: string; user_code: string };
    const subject = uniqueSubject();
    const approved = await a.admin(`/admin/device-requests/${device.user_code}/accept`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject }),
    });
    expect(approved.status).toBe(200);
    expect((await event(a, subject, 'compromised')).status).toBe(200);
    const polled = await fetch(`${b.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client_id }).toString(),
    });
    await expectTokenError(polled, 400, 'access_denied');
  });
});
