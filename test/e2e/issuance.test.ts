import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, logIn, registerClient } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const REDIRECT = 'https://app.example.com/callback';

describe('issuance end to end, with oauth4webapi as the relying party', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;
  beforeAll(async () => {
    service = await startTestServer();
    const issuer = new URL(service.url);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
    );
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('advertises the authorization and token endpoints and the grants it serves', () => {
    expect(as.authorization_endpoint).toBe(`${service.url}/authorize`);
    expect(as.token_endpoint).toBe(`${service.url}/token`);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
  });

  it('login → code → tokens → refresh → refresh', async () => {
    const registered = await registerClient(service, {
      client_name: 'e2e web',
      type: 'confidential',
      redirect_uris: [REDIRECT],
      scopes: ['openid', 'profile', 'offline_access', 'orders:read'],
      audiences: ['orders-api'],
    });
    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretBasic(registered.client_secret!);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid profile offline_access orders:read',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).toString();

    const callback = await logIn(service, new Browser(), url.toString(), {
      subject: 'alice',
      acr: 'urn:lifespan:pwd',
      amr: ['pwd', 'otp'],
      claims: { email: 'alice@example.com', name: 'Alice' },
    });
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, {
      [oauth.allowInsecureRequests]: true,
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    const idClaims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(idClaims).toMatchObject({ sub: 'alice', aud: client.client_id, acr: 'urn:lifespan:pwd', amr: ['pwd', 'otp'], name: 'Alice' });
    // OIDC Core §5.4: the profile scope releases name; nothing released email.
    expect(idClaims['email']).toBeUndefined();
    expect(typeof idClaims['sid']).toBe('string');
    expect(typeof idClaims['auth_time']).toBe('number');
    expect(tokens.refresh_token).toMatch(/^lsr_/);

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    const verifyAccess = async (token: string) => {
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      return (await jwtVerify(token, jwks, { issuer: service.url, audience: 'orders-api', typ: 'at+jwt' })).payload;
    };
    const access = await verifyAccess(tokens.access_token);
    expect(access).toMatchObject({ sub: 'alice', client_id: client.client_id, scope: 'openid profile offline_access orders:read' });
    expect(access.exp! - access.iat!).toBe(tokens.expires_in);
    expect(tokens.expires_in).toBe(900);
    expect(typeof access['jti']).toBe('string');
    expect(access['auth_time']).toBe(idClaims['auth_time']);

    const first = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, { [oauth.allowInsecureRequests]: true }),
    );
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    expect((await verifyAccess(first.access_token)).sub).toBe('alice');
    const second = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token!, {
        [oauth.allowInsecureRequests]: true,
        additionalParameters: { scope: 'orders:read' },
      }),
    );
    expect(second.scope).toBe('orders:read');
    expect((await verifyAccess(second.access_token)).scope).toBe('orders:read');
  });

  it('client credentials: a confidential client gets an access token for its audience, and no refresh token', async () => {
    const registered = await registerClient(service, {
      client_name: 'e2e m2m',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['orders:write'],
      audiences: ['orders-api'],
    });
    const client: oauth.Client = { client_id: registered.client_id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(registered.client_secret!),
      { scope: 'orders:write' },
      { [oauth.allowInsecureRequests]: true },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(3600);
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: service.url,
      audience: 'orders-api',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: 'orders:write' });
  });

  it('the development login page (local only) completes a login in the browser', async () => {
    const registered = await registerClient(service, {
      client_name: 'dev page',
      type: 'public',
      redirect_uris: ['http://localhost:3000/cb'],
      scopes: ['openid'],
    });
    const browser = new Browser();
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: registered.client_id,
      redirect_uri: 'http://localhost:3000/cb',
      response_type: 'code',
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const toLogin = await browser.get(url.toString());
    const loginPage = new URL(toLogin.headers.get('location')!);
    expect(loginPage.pathname).toBe('/login');
    const page = await browser.get(loginPage.toString());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('dev page');
    expect(html).toContain(`value="${loginPage.searchParams.get('login_challenge')}"`);
    const submitted = await fetch(`${service.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login_challenge: loginPage.searchParams.get('login_challenge')!, subject: 'bob', action: 'accept' }),
    });
    expect(submitted.status).toBe(302);
    const back = await browser.get(submitted.headers.get('location')!);
    const callback = new URL(back.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe('http://localhost:3000/cb');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      { client_id: registered.client_id },
      await oauth.authorizationCodeGrantRequest(
        as,
        { client_id: registered.client_id },
        oauth.None(),
        oauth.validateAuthResponse(as, { client_id: registered.client_id }, callback, oauth.expectNoState),
        'http://localhost:3000/cb',
        verifier,
        { [oauth.allowInsecureRequests]: true },
      ),
    );
    expect(oauth.getValidatedIdTokenClaims(tokens)!.sub).toBe('bob');
    expect(tokens.expires_in).toBe(300);
  });
});

describe('CORS for browser apps', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it.each([
    ['/userinfo', 'GET'],
    ['/token', 'POST'],
  ])('answers the preflight for %s', async (path, method) => {
    const response = await fetch(`${service.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example.com', 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain(method);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('does not open the admin API to browsers', async () => {
    expect((await fetch(`${service.url}/admin/clients`, { method: 'OPTIONS' })).status).toBe(404);
  });
});
