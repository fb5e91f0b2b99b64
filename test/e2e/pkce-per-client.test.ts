import * as oauth from 'oauth4webapi';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  authorizationRequest,
  discover,
  exchangeCode,
  expectRedirectError,
  expectTokenError,
  expectTokens,
  logInThrough,
  newClient,
  newPublicClient,
  refresh,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Issue #12 point 5: PKCE stays required by default; a confidential OIDC client may use the nonce instead. */
describe('PKCE per client', () => {
  let service: TestServer;
  let noPkce: TestClient;
  let strict: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    noPkce = await newClient(service, { client_name: 'server-side rp', require_pkce: false });
    strict = await newClient(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const withoutPkce = (client: TestClient, params: Record<string, string | undefined> = {}) =>
    authorizationRequest(service, client, { code_challenge: undefined, code_challenge_method: undefined, ...params });

  const register = (body: Record<string, unknown>) =>
    service.admin('/admin/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  describe('registration', () => {
    it('require_pkce defaults to true and is shown on registration and readback', async () => {
      const created = await register({ client_name: 'default', type: 'confidential', redirect_uris: ['https://rp.example.com/cb'] });
      expect(created.status).toBe(201);
      const body = (await created.json()) as Record<string, unknown>;
      expect(body['require_pkce']).toBe(true);
      const read = await service.admin(`/admin/clients/${String(body['client_id'])}`);
      expect(((await read.json()) as Record<string, unknown>)['require_pkce']).toBe(true);
      const off = await service.admin(`/admin/clients/${noPkce.client_id}`);
      expect(((await off.json()) as Record<string, unknown>)['require_pkce']).toBe(false);
    });

    it('a public client cannot be registered with require_pkce: false (400 invalid_client_metadata), nor with a non-boolean', async () => {
      for (const body of [
        { client_name: 'spa', type: 'public', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example.com/cb'], require_pkce: false },
        { client_name: 'rp', type: 'confidential', redirect_uris: ['https://rp.example.com/cb'], require_pkce: 'no' },
      ]) {
        const response = await register(body);
        expect(response.status).toBe(400);
        const error = (await response.json()) as Record<string, unknown>;
        expect(error['error']).toBe('invalid_client_metadata');
        expect(String(error['error_description'])).toContain('require_pkce');
      }
      // And with it on, a public client registers as before.
      const spa = await newPublicClient(service, { require_pkce: true });
      expect(spa.client_id).toBeTruthy();
    });
  });

  describe('a confidential client registered with require_pkce: false', () => {
    it('completes the code flow with a nonce and without PKCE: tokens issued, the ID token carries the nonce (oauth4webapi)', async () => {
      const as = await discover(service);
      expect(as.code_challenge_methods_supported).toEqual(['S256']);
      const request = await withoutPkce(noPkce);
      const { callback } = await logInThrough(service, new Browser(), request);
      const client: oauth.Client = { client_id: noPkce.client_id };
      const params = oauth.validateAuthResponse(as, client, callback, request.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(noPkce.client_secret!),
        params,
        request.redirectUri,
        oauth.nopkce,
        { [oauth.allowInsecureRequests]: true },
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: request.nonce, requireIdToken: true });
      expect(oauth.getValidatedIdTokenClaims(tokens)!['nonce']).toBe(request.nonce);
      expect(tokens.refresh_token).toMatch(/^lsr_/);
    });

    it('without a nonce: invalid_request at the redirect URI, no code', async () => {
      const request = await withoutPkce(noPkce, { nonce: undefined });
      const location = expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_request', request.state);
      expect(location.searchParams.get('error_description')).toBe('nonce is required when PKCE is not used');
    });

    it('a request without openid (plain OAuth) still needs PKCE', async () => {
      const request = await withoutPkce(noPkce, { scope: 'offline_access orders:read' });
      const location = expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_request', request.state);
      expect(location.searchParams.get('error_description')).toMatch(/code_challenge is required/);
    });

    it('a code_challenge_method alone is not "no PKCE": code_challenge is required', async () => {
      const request = await withoutPkce(noPkce, { code_challenge_method: 'S256' });
      expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_request', request.state);
    });

    it('PKCE sent anyway is verified as usual: a wrong verifier is invalid_grant, the right one gets tokens', async () => {
      const request = await authorizationRequest(service, noPkce);
      const { code } = await logInThrough(service, new Browser(), request);
      await expectTokenError(await exchangeCode(service, noPkce, code, oauth.generateRandomCodeVerifier()), 400, 'invalid_grant');
      const missing = await expectTokenError(await exchangeCode(service, noPkce, code, '', { code_verifier: undefined }), 400, 'invalid_grant');
      expect(missing.error_description).toBe('the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client');
      const tokens = await expectTokens(await exchangeCode(service, noPkce, code, request.verifier));
      expect(decodeJwt(tokens.id_token!)['nonce']).toBe(request.nonce);
    });

    it('PKCE downgrade (RFC 9700 §2.1.1): a code_verifier for a code issued without a challenge is invalid_grant, and the code still works without one', async () => {
      const request = await withoutPkce(noPkce);
      const { code } = await logInThrough(service, new Browser(), request);
      const refused = await expectTokenError(await exchangeCode(service, noPkce, code, oauth.generateRandomCodeVerifier()), 400, 'invalid_grant');
      expect(refused.error_description).toBe('the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client');
      // The refusal did not burn the code (a mismatch never does).
      await expectTokens(await exchangeCode(service, noPkce, code, '', { code_verifier: undefined }));
    });

    it('a replayed code without PKCE revokes what its first use issued', async () => {
      const request = await withoutPkce(noPkce);
      const { code } = await logInThrough(service, new Browser(), request);
      const first = await expectTokens(await exchangeCode(service, noPkce, code, '', { code_verifier: undefined }));
      await expectTokenError(await exchangeCode(service, noPkce, code, '', { code_verifier: undefined }), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, noPkce, first.refresh_token!), 400, 'invalid_grant');
    });
  });

  describe('every other client (the default)', () => {
    it('an OIDC request with a nonce but without PKCE is invalid_request', async () => {
      const request = await withoutPkce(strict);
      const location = expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_request', request.state);
      expect(location.searchParams.get('error_description')).toBe('code_challenge is required (PKCE)');
    });

    it('a token request without code_verifier is invalid_grant', async () => {
      const request = await authorizationRequest(service, strict);
      const { code } = await logInThrough(service, new Browser(), request);
      const refused = await expectTokenError(await exchangeCode(service, strict, code, '', { code_verifier: undefined }), 400, 'invalid_grant');
      expect(refused.error_description).toBe('the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client');
      await expectTokens(await exchangeCode(service, strict, code, request.verifier));
    });
  });
});
