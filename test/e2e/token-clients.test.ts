import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  authorizationRequest,
  codeFor,
  discover,
  exchangeCode,
  expectActive,
  expectInactive,
  expectTokenError,
  expectTokens,
  logInThrough,
  newClient,
  newPublicClient,
  refresh,
  sleep,
  tokenRequest,
  userinfoRequest,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { decodeRefreshToken } from '../../functions/oauth/tokens/refresh-token.ts';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** Client types and per-client settings at the token endpoint, over real HTTP. */
describe('/token per client', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    service = await startTestServer();
    as = await discover(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** Logs in and exchanges the code with a raw request; returns the tokens. */
  const tokensFor = async (client: TestClient) => {
    const { code, request } = await codeFor(service, client);
    return expectTokens(await exchangeCode(service, client, code, request.verifier));
  };

  describe('a public client (token_endpoint_auth_method none), through oauth4webapi', () => {
    let spa: TestClient;
    const auth = oauth.None();

    beforeAll(async () => {
      spa = await newPublicClient(service);
    });

    it('the full flow works with PKCE, and its access tokens live 300 s (the browser lifetime)', async () => {
      const client: oauth.Client = { client_id: spa.client_id };
      const request = await authorizationRequest(service, spa);
      const { callback } = await logInThrough(service, new Browser(), request);
      const params = oauth.validateAuthResponse(as, client, callback, request.state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params, spa.redirect_uri, request.verifier, insecure),
        { expectedNonce: request.nonce, requireIdToken: true },
      );
      expect(tokens.expires_in).toBe(300);
      const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
        issuer: service.url,
        audience: 'orders-api',
        typ: 'at+jwt',
      });
      expect(payload.exp! - payload.iat!).toBe(300);
      expect(payload.client_id).toBe(spa.client_id);
      expect(tokens.refresh_token).toMatch(/^lsr_/);

      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure),
      );
      expect(refreshed.expires_in).toBe(300);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    });

    it('a public client without PKCE cannot even start: /authorize refuses it', async () => {
      const request = await authorizationRequest(service, spa, { code_challenge: undefined, code_challenge_method: undefined });
      const response = await fetch(request.url, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    });

    it('client_credentials is refused (unauthorized_client): a public client has no secret to prove', async () => {
      const client: oauth.Client = { client_id: spa.client_id };
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'orders:read' }, insecure);
      await expectTokenError(response.clone(), 400, 'unauthorized_client');
      await expect(oauth.processClientCredentialsResponse(as, client, response)).rejects.toMatchObject({
        error: 'unauthorized_client',
        status: 400,
      });
    });

    it('a public client cannot be registered for client_credentials', async () => {
      const response = await service.admin('/admin/clients', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'spa', type: 'public', redirect_uris: ['https://app.example.com/cb'], grant_types: ['client_credentials'] }),
      });
      expect(response.status).toBe(400);
    });

    it('without its client_id, a public client is not authenticated (401 invalid_client)', async () => {
      const { code, request } = await codeFor(service, spa);
      const response = await tokenRequest(service, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: spa.redirect_uri,
        code_verifier: request.verifier,
      });
      await expectTokenError(response, 401, 'invalid_client');
    });
  });

  describe('lifetimes and formats from the parameters file, without a restart', () => {
    it('a per-client access_token_ttl applies at the next refresh; other clients keep the default', async () => {
      const [web, bystander] = await Promise.all([newClient(service), newClient(service)]);
      const [tokens, bystanderTokens] = await Promise.all([tokensFor(web), tokensFor(bystander)]);
      expect(tokens.expires_in).toBe(900);
      await writeParameters(service, { clients: { [web.client_id]: { access_token_ttl: 120 } } });
      try {
        const refreshed = await expectTokens(await refresh(service, web, tokens.refresh_token!));
        expect(refreshed.expires_in).toBe(120);
        const { payload } = await jwtVerify(refreshed.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: service.url });
        expect(payload.exp! - payload.iat!).toBe(120);
        expect((await expectTokens(await refresh(service, bystander, bystanderTokens.refresh_token!))).expires_in).toBe(900);
      } finally {
        await writeParameters(service, {});
      }
    });

    it('a per-client override also beats the browser lifetime of a public client', async () => {
      const spa = await newPublicClient(service);
      const tokens = await tokensFor(spa);
      expect(tokens.expires_in).toBe(300);
      await writeParameters(service, { clients: { [spa.client_id]: { access_token_ttl: 600 } } });
      try {
        expect((await expectTokens(await refresh(service, spa, tokens.refresh_token!))).expires_in).toBe(600);
      } finally {
        await writeParameters(service, {});
      }
    });

    it('access_token_format=opaque for a client: access tokens start with lsa_ and are not JWTs', async () => {
      const web = await newClient(service);
      const tokens = await tokensFor(web);
      expect(tokens.access_token.split('.')).toHaveLength(3);
      await writeParameters(service, { clients: { [web.client_id]: { access_token_format: 'opaque' } } });
      try {
        const refreshed = await expectTokens(await refresh(service, web, tokens.refresh_token!));
        expect(refreshed.access_token).toMatch(/^lsa_[A-Za-z0-9_-]{43}$/);
        expect(refreshed.access_token).not.toContain('.');
        // A fresh code exchange follows the same setting.
        expect((await tokensFor(web)).access_token).toMatch(/^lsa_/);
      } finally {
        await writeParameters(service, {});
      }
    });
  });

  describe('a deleted client', () => {
    it('its tokens die with it at once: the refresh is refused, the access token inactive at userinfo and introspection, the family revoked', async () => {
      const web = await newClient(service);
      const api = await newClient(service, { client_name: 'orders api', redirect_uris: [], grant_types: ['client_credentials'], scopes: ['orders:read'] });
      const tokens = await tokensFor(web);
      const familyId = decodeRefreshToken(tokens.refresh_token!)!.familyId;
      await expectActive(service, api, tokens.access_token);
      expect((await userinfoRequest(service, tokens.access_token)).status).toBe(200);
      const deleted = await service.admin(`/admin/clients/${web.client_id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect((await service.admin(`/admin/clients/${web.client_id}`)).status).toBe(404);
      // No wait: the client record may still be cached, the marker is not.
      const refused = await refresh(service, web, tokens.refresh_token!);
      expect([400, 401]).toContain(refused.status);
      expect(['invalid_grant', 'invalid_client']).toContain(((await refused.json()) as { error: string }).error);
      expect((await userinfoRequest(service, tokens.access_token)).status).toBe(401);
      await expectInactive(service, api, tokens.access_token);
      expect(await (await service.admin(`/admin/families/${familyId}`)).json()).toMatchObject({ state: 'revoked' });
      // Once the cached record has expired, the client itself is unknown.
      await sleep(5_500);
      await expectTokenError(await refresh(service, web, tokens.refresh_token!), 401, 'invalid_client');
      const authorize = await fetch((await authorizationRequest(service, web)).url, { redirect: 'manual' });
      expect(authorize.status).toBe(400);
      expect(authorize.headers.get('location')).toBeNull();
    });
  });
});
