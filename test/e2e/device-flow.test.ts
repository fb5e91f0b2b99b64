import { createRemoteJWKSet, jwtVerify } from 'jose';
import fc from 'fast-check';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The OAuth error a rejected promise carries (oauth4webapi throws ResponseBodyError for RFC 6749 §5.2 bodies). */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number; keys: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return { error: error.error, status: error.status, keys: Object.keys(error.cause).sort() };
    throw error;
  }
  throw new Error('expected an OAuth error');
}

describe('device authorization grant end to end (RFC 8628), with oauth4webapi as the device', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  const auth = oauth.None();

  beforeAll(async () => {
    service = await startTestServer();
    const issuer = new URL(service.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    const registered = await registerClient(service, {
      client_name: 'Living-room TV',
      type: 'public',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      scopes: ['openid', 'offline_access', 'orders:read'],
      audiences: ['orders-api'],
    });
    client = { client_id: registered.client_id };
  });
  afterAll(async () => {
    await service.server.close();
  });

  const authorizeDevice = async (scope = 'openid offline_access orders:read') => {
    const response = await oauth.deviceAuthorizationRequest(as, client, auth, { scope }, insecure);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return oauth.processDeviceAuthorizationResponse(as, client, response);
  };
  const poll = async (deviceCode: string) =>
    oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, auth, deviceCode, insecure));
  const adminJson = (path: string, method: string, body?: unknown) =>
    service.admin(path, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });

  it('advertises the device authorization endpoint and grant', () => {
    expect(as.device_authorization_endpoint).toBe(`${service.url}/device_authorization`);
    expect(as.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('authorize → authorization_pending → slow_down → accept (admin API) → tokens → invalid_grant', async () => {
    const device = await authorizeDevice();
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verification_uri).toBe(`${service.url}/device`);
    expect(device.verification_uri_complete).toBe(`${service.url}/device?user_code=${device.user_code}`);
    expect(device).toMatchObject({ expires_in: 300, interval: 5 });

    expect(await oauthError(poll(device.device_code))).toEqual({ error: 'authorization_pending', status: 400, keys: ['error', 'error_description'] });
    expect(await oauthError(poll(device.device_code))).toMatchObject({ error: 'slow_down', status: 400 });

    const described = await adminJson(`/admin/device-requests/${device.user_code.toLowerCase()}`, 'GET');
    expect(described.status).toBe(200);
    expect(await described.json()).toMatchObject({
      user_code: device.user_code,
      client: { client_id: client.client_id, client_name: 'Living-room TV' },
      requested_scope: ['openid', 'offline_access', 'orders:read'],
      requested_audience: 'orders-api',
    });
    const accepted = await adminJson(`/admin/device-requests/${device.user_code}/accept`, 'PUT', {
      subject: 'alice',
      amr: ['pwd'],
      claims: { email: 'alice@example.com', tenant: 'acme' },
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ status: 'accepted' });

    const tokens = await poll(device.device_code);
    const idClaims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(idClaims).toMatchObject({ iss: service.url, sub: 'alice', aud: client.client_id, amr: ['pwd'], tenant: 'acme' });
    // No email scope: the standard claim stays out; the deployer's own claim goes in as given.
    expect(idClaims['email']).toBeUndefined();
    expect(tokens.refresh_token).toMatch(/^lsr_/);
    expect(tokens.scope).toBe('openid offline_access orders:read');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: service.url,
      audience: 'orders-api',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: 'alice', client_id: client.client_id, scope: 'openid offline_access orders:read' });

    expect(await oauthError(poll(device.device_code))).toMatchObject({ error: 'invalid_grant', status: 400 });
    const again = await adminJson(`/admin/device-requests/${device.user_code}/accept`, 'PUT', { subject: 'mallory' });
    expect(again.status).toBe(404);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('reject through the admin API → access_denied (400)', async () => {
    const device = await authorizeDevice('orders:read');
    const rejected = await adminJson(`/admin/device-requests/${device.user_code}/reject`, 'PUT', { error_description: 'not my TV' });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toEqual({ status: 'rejected' });
    expect(await oauthError(poll(device.device_code))).toEqual({ error: 'access_denied', status: 400, keys: ['error', 'error_description'] });
  });

  it('the admin API answers unknown codes with 404 and bad bodies with 400, as RFC 6749 JSON', async () => {
    const unknown = await adminJson('/admin/device-requests/BCDF-GHJK', 'GET');
    expect(unknown.status).toBe(404);
    const device = await authorizeDevice('orders:read');
    for (const body of [{}, { subject: 'alice', remember: true }, { subject: 42 }]) {
      const response = await adminJson(`/admin/device-requests/${device.user_code}/accept`, 'PUT', body);
      expect(response.status).toBe(400);
      const json = (await response.json()) as Record<string, unknown>;
      expect(json['error']).toBe('invalid_request');
      expect(Object.keys(json).sort()).toEqual(['error', 'error_description']);
    }
    const bad = await adminJson(`/admin/device-requests/${device.user_code}/reject`, 'PUT', { error: 'server_error' });
    expect(bad.status).toBe(400);
    const unauthenticated = await fetch(`${service.url}/admin/device-requests/${device.user_code}`);
    expect(unauthenticated.status).toBe(401);
  });

  it('refuses a client without the grant (unauthorized_client) and a wrong secret (invalid_client)', async () => {
    const confidential = await registerClient(service, {
      client_name: 'web only',
      type: 'confidential',
      redirect_uris: ['https://app.example.com/cb'],
      scopes: ['openid'],
    });
    const request = (authorization: string) =>
      fetch(`${service.url}/device_authorization`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body: 'scope=openid',
      });
    const basic = (secret: string) => `Basic ${Buffer.from(`${confidential.client_id}:${secret}`).toString('base64')}`;
    const refused = await request(basic(confidential.client_secret!));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized_client' });
    const wrong = await request(basic('wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('answers random device authorization forms and admin bodies with a known status and a JSON error, never a 500', async () => {
    const form = fc.dictionary(
      fc.oneof(fc.constantFrom('client_id', 'client_secret', 'scope', 'resource', 'grant_type'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.constantFrom(client.client_id, 'openid', 'orders:read orders:write', 'orders-api', ''), fc.string({ maxLength: 20 })),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(form, fc.constantFrom('application/x-www-form-urlencoded', 'application/json', ''), async (params, type) => {
        const response = await fetch(`${service.url}/device_authorization`, {
          method: 'POST',
          headers: type === '' ? {} : { 'content-type': type },
          body: new URLSearchParams(params).toString(),
        });
        expect([200, 400, 401, 415]).toContain(response.status);
        const json = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200) expect(Object.keys(json).sort()).toEqual(['error', 'error_description']);
      }),
      { numRuns: 40 },
    );
    const device = await authorizeDevice('orders:read');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('subject', 'acr', 'amr', 'claims', 'remember', 'x'), fc.jsonValue({ maxDepth: 2 })), async (body) => {
        const response = await adminJson(`/admin/device-requests/${device.user_code}/accept`, 'PUT', body);
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 40 },
    );
  });

  it('the development device page (local only) approves a device', async () => {
    const device = await authorizeDevice('openid');
    const page = await fetch(device.verification_uri_complete!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Living-room TV');
    expect(html).toContain(`value="${device.user_code}"`);
    const submitted = await fetch(`${service.url}/device`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_code: device.user_code.replace('-', ' ').toLowerCase(), subject: 'bob', action: 'accept' }),
    });
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toContain('The device is connected.');
    expect(oauth.getValidatedIdTokenClaims(await poll(device.device_code))!.sub).toBe('bob');

    const escaped = await fetch(`${service.url}/device?user_code=${encodeURIComponent('<script>x</script>')}`);
    expect(escaped.status).toBe(404);
    const body = await escaped.text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('&#60;script&#62;');
  });
});
