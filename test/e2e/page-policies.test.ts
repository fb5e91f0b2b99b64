import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, registerClient } from '../support/browser.ts';
import { authorizationRequest, expectLoginChallenge, newClient, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const formAction = (response: Response) =>
  /form-action ([^;]*)/.exec(response.headers.get('content-security-policy') ?? '')?.[1]?.split(' ');

/**
 * The CSP form-action of Lifespan's pages through the local server: Chromium and Safari check it
 * on every hop of a form submission's redirect chain, so a page whose form ends at a client lists
 * that client's origin — the one of this request, and no other.
 */
describe('form-action of the development pages', () => {
  let service: TestServer;
  let web: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service, { redirect_uris: ['https://app.example.com/callback', 'https://other.example.com:8443/callback'] });
  });
  afterAll(async () => {
    await service.server.close();
  });

  it.each([
    ['https://app.example.com/callback', 'https://app.example.com'],
    ['https://other.example.com:8443/callback', 'https://other.example.com:8443'],
  ])('the login page for a request redirecting to %s lists self and %s only', async (redirectUri, origin) => {
    const request = await authorizationRequest(service, { ...web, redirect_uri: redirectUri });
    const { challenge } = await expectLoginChallenge(new Browser(), request.url);
    const login = await fetch(`${service.url}/login?login_challenge=${challenge}`);
    expect(login.status).toBe(200);
    expect(formAction(login)).toEqual(["'self'", origin]);
    // The client's other registered origin is not this request's: not listed.
    const other = redirectUri.startsWith('https://app.') ? 'other.example.com' : 'app.example.com';
    expect(login.headers.get('content-security-policy')).not.toContain(other);
  });

  it('the login error page (no such challenge) has no form to send anywhere: self only', async () => {
    const response = await fetch(`${service.url}/login?login_challenge=${'x'.repeat(43)}`);
    expect(response.status).toBe(404);
    expect(formAction(response)).toEqual(["'self'"]);
  });

  it('the device page submits to itself and answers with a page, never a redirect: self only', async () => {
    const { client_id: clientId } = await registerClient(service, {
      client_name: 'TV',
      type: 'public',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      scopes: ['openid'],
    });
    const started = await fetch(`${service.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, scope: 'openid' }),
    });
    const { user_code: userCode } = (await started.json()) as { user_code: string };
    const shown = await fetch(`${service.url}/device?user_code=${userCode}`);
    expect(shown.status).toBe(200);
    expect(formAction(shown)).toEqual(["'self'"]);
    const submitted = await fetch(`${service.url}/device`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_code: userCode, subject: 'bob', action: 'accept' }),
    });
    expect(submitted.status).toBe(200);
    expect(formAction(submitted)).toEqual(["'self'"]);
  });
});
