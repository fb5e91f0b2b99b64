import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRefreshToken, newFamilyId, newRefreshSecret } from '../../functions/oauth/tokens/refresh-token.ts';
import {
  adminJson,
  clientForm,
  codeFor,
  discover,
  exchangeCode,
  expectActive,
  expectInactive,
  expectRevoked,
  expectTokenError,
  expectTokens,
  loginTokens,
  newClient,
  newPublicClient,
  refresh,
  revokeRequest,
  rpClient,
  sleep,
  startOfNextSecond,
  uniqueSubject,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startSecondInstance, startTestServer, type TestServer } from '../support/local-server.ts';

/** Token introspection (RFC 7662) over real HTTP, with oauth4webapi as the resource server's client. */
describe('POST /introspect', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;
  /** The client tokens are issued to (audience orders-api). */
  let web: TestClient;
  /** A client whose access tokens live 1 s. */
  let short: TestClient;
  let spa: TestClient;
  /** A resource server: a confidential client whose audiences include orders-api. */
  let ordersApi: TestClient;
  /** A confidential client with nothing to do with orders-api. */
  let unrelated: TestClient;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  /** The file's parameters: no introspection cache and no clock skew, unless a test says otherwise. */
  const parameters = (extra: Record<string, unknown> = {}) => ({
    introspection_cache_ttl: 0,
    clock_skew_tolerance: 0,
    clients: { [short.client_id]: { access_token_ttl: 1 } },
    ...extra,
  });

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0, clock_skew_tolerance: 0 } });
    [web, short, spa, ordersApi, unrelated] = await Promise.all([
      newClient(service),
      newClient(service),
      newPublicClient(service),
      newClient(service, { client_name: 'orders api', grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'], audiences: ['orders-api'] }),
      newClient(service, { client_name: 'billing', grant_types: ['client_credentials'], redirect_uris: [], scopes: ['billing:read'], audiences: ['billing-api'] }),
    ]);
    await writeParameters(service, parameters());
    as = await discover(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const login = (client: TestClient = web, subject = uniqueSubject()) => loginTokens(service, client, { accept: { subject } });

  /** Introspects through oauth4webapi and returns what it parsed, with the raw body beside it. */
  async function introspectRp(who: TestClient, token: string): Promise<{ parsed: oauth.IntrospectionResponse; raw: Record<string, unknown> }> {
    const { client, auth } = rpClient(who);
    const response = await oauth.introspectionRequest(as, client, auth, token, insecure);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const raw = (await response.clone().json()) as Record<string, unknown>;
    return { parsed: await oauth.processIntrospectionResponse(as, client, response), raw };
  }

  describe('who may ask', () => {
    it('a public client may not: 400 unauthorized_client (oauth4webapi raises it), and learns nothing', async () => {
      const { tokens } = await login(spa);
      const { client, auth } = rpClient(spa);
      const response = await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure);
      const error = await oauth.processIntrospectionResponse(as, client, response).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(oauth.ResponseBodyError);
      expect((error as oauth.ResponseBodyError).error).toBe('unauthorized_client');
      expect((error as oauth.ResponseBodyError).status).toBe(400);
      await expectTokenError(await clientForm(service, '/introspect', { token: tokens.access_token }, spa), 400, 'unauthorized_client');
    });

    it('without client authentication: 401 invalid_client; with a wrong secret: 401 invalid_client', async () => {
      const { tokens } = await login();
      await expectTokenError(await clientForm(service, '/introspect', { token: tokens.access_token }), 401, 'invalid_client');
      await expectTokenError(
        await clientForm(service, '/introspect', { token: tokens.access_token }, { client_id: web.client_id, client_secret: 'nope' }),
        401,
        'invalid_client',
      );
    });

    it('without a token: 400 invalid_request', async () => {
      await expectTokenError(await clientForm(service, '/introspect', {}, web), 400, 'invalid_request');
      await expectTokenError(await clientForm(service, '/introspect', { token: '' }, web), 400, 'invalid_request');
    });
  });

  describe('active tokens', () => {
    it('an active JWT access token: active, with scope, client_id, sub, aud, iss, exp, iat, jti and token_type', async () => {
      const subject = uniqueSubject();
      const { tokens } = await login(web, subject);
      const claims = decodeJwt(tokens.access_token);
      const { parsed, raw } = await introspectRp(web, tokens.access_token);
      expect(parsed).toMatchObject({
        active: true,
        scope: 'openid offline_access orders:read',
        client_id: web.client_id,
        sub: subject,
        aud: 'orders-api',
        iss: service.url,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
      });
      expect(String(parsed.token_type).toLowerCase()).toBe('bearer');
      expect(parsed.exp! - parsed.iat!).toBe(tokens.expires_in);
      expect(Object.keys(raw)).toEqual(expect.arrayContaining(['active', 'scope', 'client_id', 'sub', 'aud', 'iss', 'exp', 'iat', 'jti', 'token_type']));
    });

    it('an active refresh token: active, token_type refresh_token, its client, subject and scope', async () => {
      const subject = uniqueSubject();
      const { tokens } = await login(web, subject);
      const { parsed } = await introspectRp(web, tokens.refresh_token!);
      expect(parsed).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        client_id: web.client_id,
        sub: subject,
        scope: 'openid offline_access orders:read',
        iss: service.url,
      });
      expect(parsed.exp).toBeGreaterThan(Math.floor(Date.now() / 1000));
      // The rotated one is the active one now.
      const rotated = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      expect((await introspectRp(web, rotated.refresh_token!)).parsed).toMatchObject({ active: true, token_type: 'refresh_token' });
    });
  });

  describe('inactive: {"active": false} and nothing else', () => {
    it('an expired access token (access_token_ttl 1 for the client, clock_skew_tolerance 0)', async () => {
      const { code, request } = await codeFor(service, short, {}, { subject: uniqueSubject() });
      // Exchanged at the start of a second, so the token is still active when first introspected.
      await startOfNextSecond();
      const tokens = await expectTokens(await exchangeCode(service, short, code, request.verifier));
      expect(tokens.expires_in).toBe(1);
      await expectActive(service, short, tokens.access_token);
      await sleep(1_100);
      await expectInactive(service, short, tokens.access_token);
      const { parsed, raw } = await introspectRp(short, tokens.access_token);
      expect(parsed.active).toBe(false);
      expect(raw).toEqual({ active: false });
    });

    it('a revoked access token and a revoked refresh token', async () => {
      const access = await login();
      await expectActive(service, web, access.tokens.access_token);
      await expectRevoked(await revokeRequest(service, web, access.tokens.access_token));
      await expectInactive(service, web, access.tokens.access_token);

      const family = await login();
      await expectActive(service, web, family.tokens.refresh_token!);
      await expectRevoked(await revokeRequest(service, web, family.tokens.refresh_token));
      await expectInactive(service, web, family.tokens.refresh_token!);
    });

    it.each([
      ['garbage', async () => 'garbage'],
      ['an empty-looking JWT', async () => 'a.b.c'],
      ['a well-formed refresh token of no family', async () =>
        encodeRefreshToken({ familyId: newFamilyId(), generation: 0, absoluteExpiresAt: Math.floor(Date.now() / 1000) + 31_536_000, secret: newRefreshSecret() })],
      ['an opaque token never issued', async () => `lsa_${'A'.repeat(43)}`],
      ['a JWT access token signed by another key', async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT({ client_id: web.client_id, scope: 'openid', jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
          .setIssuer(service.url)
          .setSubject('alice')
          .setAudience('orders-api')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      }],
    ])('an unknown token: %s', async (_why, make) => {
      const token = await make();
      await expectInactive(service, web, token);
      expect((await introspectRp(web, token)).raw).toEqual({ active: false });
    });

    it('a superseded refresh token after rotation (the new one is active)', async () => {
      const { tokens } = await login();
      const rotated = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      await expectInactive(service, web, tokens.refresh_token!);
      await expectActive(service, web, rotated.refresh_token!);
      // Two rotations back is no better.
      const again = await expectTokens(await refresh(service, web, rotated.refresh_token!));
      await expectInactive(service, web, tokens.refresh_token!);
      await expectInactive(service, web, rotated.refresh_token!);
      await expectActive(service, web, again.refresh_token!);
    });

    it('a family revoked by reuse: its newest refresh token and the access tokens of its refreshes (they carry fid)', async () => {
      const { tokens } = await login();
      const rotated = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      await expectActive(service, web, rotated.access_token);
      expect(decodeJwt(rotated.access_token)['fid']).toEqual(expect.any(String));
      // Reuse of the superseded token revokes the family.
      await expectTokenError(await refresh(service, web, tokens.refresh_token!), 400, 'invalid_grant');
      await expectInactive(service, web, rotated.refresh_token!);
      await expectInactive(service, web, rotated.access_token);
      await expectInactive(service, web, tokens.access_token);
    });

    it('revoked by a marker: POST /admin/revocations {scope: user} makes the user’s tokens inactive, not another user’s', async () => {
      const subject = uniqueSubject();
      const { tokens } = await login(web, subject);
      const bystander = await login(web, uniqueSubject());
      await expectActive(service, web, tokens.access_token);
      const marked = await adminJson(service, '/admin/revocations', { scope: 'user', id: subject });
      expect(marked.status).toBe(200);
      await expectInactive(service, web, tokens.access_token);
      await expectInactive(service, web, tokens.refresh_token!);
      await expectActive(service, web, bystander.tokens.access_token);
      await expectActive(service, web, bystander.tokens.refresh_token!);
    });

    it('an ID token presented as an access token (typ JWT, not at+jwt)', async () => {
      const { tokens } = await login();
      expect(decodeProtectedHeader(tokens.id_token!).typ).toBe('JWT');
      await expectInactive(service, web, tokens.id_token!);
    });
  });

  describe('visibility', () => {
    it('a resource server whose audiences hold the token’s audience sees it active; an unrelated client sees {"active": false}', async () => {
      const subject = uniqueSubject();
      const { tokens } = await login(web, subject);
      const seen = await introspectRp(ordersApi, tokens.access_token);
      expect(seen.parsed).toMatchObject({ active: true, sub: subject, aud: 'orders-api', client_id: web.client_id });
      await expectInactive(service, unrelated, tokens.access_token);
      expect((await introspectRp(unrelated, tokens.access_token)).raw).toEqual({ active: false });
    });

    it('a refresh token is visible only to the client it was issued to', async () => {
      const { tokens } = await login();
      await expectActive(service, web, tokens.refresh_token!);
      await expectInactive(service, ordersApi, tokens.refresh_token!);
      await expectInactive(service, unrelated, tokens.refresh_token!);
    });
  });

  describe('caching (introspection_cache_ttl)', () => {
    it('introspection_cache_ttl=60 cannot outlive a revocation this function handled, nor any revoke-all marker', async () => {
      await writeParameters(service, parameters({ introspection_cache_ttl: 60 }));
      try {
        // POST /revoke of the access token, then of a refresh token (its family, and the access tokens it issued).
        const first = await login();
        await expectActive(service, web, first.tokens.access_token);
        await expectActive(service, ordersApi, first.tokens.access_token);
        await expectRevoked(await revokeRequest(service, web, first.tokens.access_token));
        await expectInactive(service, web, first.tokens.access_token);
        await expectInactive(service, ordersApi, first.tokens.access_token);
        const second = await login();
        await expectActive(service, ordersApi, second.tokens.access_token);
        await expectActive(service, web, second.tokens.refresh_token!);
        await expectRevoked(await revokeRequest(service, web, second.tokens.refresh_token!));
        await expectInactive(service, web, second.tokens.refresh_token!);
        await expectInactive(service, ordersApi, second.tokens.access_token);
        // A reuse detected by this function revokes the family: its cached answers go with it.
        const reused = await login();
        const rotated = await expectTokens(await refresh(service, web, reused.tokens.refresh_token!));
        await expectActive(service, ordersApi, rotated.access_token);
        await expectTokenError(await refresh(service, web, reused.tokens.refresh_token!), 400, 'invalid_grant');
        await expectInactive(service, ordersApi, rotated.access_token);
        // A user event, and a client revocation, handled by the admin function: seen through the markers.
        const subject = uniqueSubject();
        const third = await login(web, subject);
        await expectActive(service, ordersApi, third.tokens.access_token);
        expect((await adminJson(service, `/admin/users/${encodeURIComponent(subject)}/events`, { type: 'password_changed' })).status).toBe(200);
        await expectInactive(service, ordersApi, third.tokens.access_token);
        const fourth = await login();
        await expectActive(service, ordersApi, fourth.tokens.access_token);
        expect((await adminJson(service, '/admin/revocations', { scope: 'client', id: web.client_id })).status).toBe(200);
        await expectInactive(service, ordersApi, fourth.tokens.access_token);
      } finally {
        await writeParameters(service, parameters());
      }
    });

    it('introspection_cache_ttl=60: what remains is a POST /revoke handled by another instance of the function, for up to the TTL; markers reach every instance at once', async () => {
      await writeParameters(service, parameters({ introspection_cache_ttl: 60 }));
      const other = await startSecondInstance(service);
      try {
        await startOfNextSecond();
        const { tokens } = await login();
        await expectActive(service, ordersApi, tokens.access_token);
        await expectRevoked(await revokeRequest(other, web, tokens.access_token));
        // The other instance knows; this one answers from its cache (documented: README, "What is cached").
        await expectInactive(other, ordersApi, tokens.access_token);
        await expectActive(service, ordersApi, tokens.access_token);
        // A marker, written through the other instance's admin function, ends this one's cached answer.
        const subject = (await expectActive(other, web, tokens.refresh_token!))['sub'] as string;
        expect((await adminJson(other, `/admin/users/${encodeURIComponent(subject)}/events`, { type: 'compromised' })).status).toBe(200);
        await expectInactive(service, ordersApi, tokens.access_token);
        await expectInactive(service, web, tokens.refresh_token!);
      } finally {
        await other.server.close();
        await writeParameters(service, parameters());
      }
    });

    it('introspection_cache_ttl=60 never outlives the token: an answer cached for a 1 s token turns inactive when it expires', async () => {
      await writeParameters(service, parameters({ introspection_cache_ttl: 60 }));
      try {
        const { code, request } = await codeFor(service, short, {}, { subject: uniqueSubject() });
        await startOfNextSecond();
        const tokens = await expectTokens(await exchangeCode(service, short, code, request.verifier));
        await expectActive(service, short, tokens.access_token);
        await sleep(1_100);
        await expectInactive(service, short, tokens.access_token);
      } finally {
        await writeParameters(service, parameters());
      }
    });

    it('introspection_cache_ttl=0: a revocation shows at once', async () => {
      const { tokens } = await login();
      await expectActive(service, web, tokens.access_token);
      await expectActive(service, web, tokens.refresh_token!);
      await expectRevoked(await revokeRequest(service, web, tokens.access_token));
      await expectRevoked(await revokeRequest(service, web, tokens.refresh_token));
      await expectInactive(service, web, tokens.access_token);
      await expectInactive(service, web, tokens.refresh_token!);
    });
  });
});
