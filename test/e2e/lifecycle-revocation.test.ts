import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { encodeRefreshToken, newFamilyId, newRefreshSecret } from '../../functions/oauth/tokens/refresh-token.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import {
  discover,
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
  uniqueSubject,
  userinfoRequest,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Token revocation (RFC 7009) over real HTTP, with oauth4webapi as the client where it can be. */
describe('POST /revoke', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;
  let web: TestClient;
  let other: TestClient;
  let spa: TestClient;
  let opaque: TestClient;
  const dynamo = localDynamoClient();
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    // No introspection cache here: every introspection shows the state of now.
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    [web, other, spa, opaque] = await Promise.all([newClient(service), newClient(service), newPublicClient(service), newClient(service)]);
    await writeParameters(service, { introspection_cache_ttl: 0, clients: { [opaque.client_id]: { access_token_format: 'opaque' } } });
    as = await discover(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const login = (client: TestClient = web, subject = uniqueSubject()) => loginTokens(service, client, { accept: { subject } });

  /** Revokes through oauth4webapi: 200, no-store, and oauth4webapi accepts the response. */
  async function revoke(who: TestClient, token: string, hint?: string): Promise<void> {
    const { client, auth } = rpClient(who);
    const response = await oauth.revocationRequest(as, client, auth, token, {
      ...insecure,
      ...(hint !== undefined && { additionalParameters: { token_type_hint: hint } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await oauth.processRevocationResponse(response)).toBeUndefined();
  }

  const storedOpaque = async (token: string) =>
    (
      await dynamo.send(
        new GetItemCommand({
          TableName: service.tableName,
          Key: { pk: { S: `ACCESS#${hashSecret(token)}` }, sk: { S: 'ACCESS' } },
          ConsistentRead: true,
        }),
      )
    ).Item;

  describe('client authentication', () => {
    it('without any client authentication: 401 invalid_client with a Basic challenge, and the token is not revoked', async () => {
      const { tokens } = await login();
      await expectTokenError(await revokeRequest(service, undefined, tokens.refresh_token), 401, 'invalid_client');
      await expectTokenError(await revokeRequest(service, undefined, tokens.access_token), 401, 'invalid_client');
      await expectActive(service, web, tokens.refresh_token!);
      await expectActive(service, web, tokens.access_token);
    });

    it('with a wrong secret: 401 invalid_client (oauth4webapi sees the challenge), and the token is not revoked', async () => {
      const { tokens } = await login();
      const response = await oauth.revocationRequest(as, { client_id: web.client_id }, oauth.ClientSecretBasic('wrong-secret'), tokens.refresh_token!, insecure);
      const error = await oauth.processRevocationResponse(response).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      expect((error as oauth.WWWAuthenticateChallengeError).status).toBe(401);
      expect((error as oauth.WWWAuthenticateChallengeError).cause[0]!.scheme).toBe('basic');
      await expectTokenError(await revokeRequest(service, { client_id: web.client_id, client_secret: 'wrong-secret' }, tokens.refresh_token), 401, 'invalid_client');
      // A confidential client presenting no secret (client_id only) is not authenticated either.
      await expectTokenError(await revokeRequest(service, { client_id: web.client_id }, tokens.refresh_token), 401, 'invalid_client');
      await expectActive(service, web, tokens.refresh_token!);
      await expectTokens(await refresh(service, web, tokens.refresh_token!));
    });
  });

  it.each([
    ['no token parameter', undefined],
    ['an empty token', ''],
  ])('%s: 400 invalid_request', async (_why, token) => {
    await expectTokenError(await revokeRequest(service, web, token), 400, 'invalid_request');
  });

  it('a refresh token revokes its family: the newest refresh token gets invalid_grant and introspects inactive, and so do the access tokens of the family', async () => {
    const { tokens } = await login();
    const rotated = await expectTokens(await refresh(service, web, tokens.refresh_token!));
    await revoke(web, rotated.refresh_token!);
    await expectTokenError(await refresh(service, web, rotated.refresh_token!), 400, 'invalid_grant');
    await expectInactive(service, web, rotated.refresh_token!);
    // RFC 7009 §2.1: access tokens of the same grant SHOULD go too (JWTs carry the family id).
    await expectInactive(service, web, rotated.access_token);
    await expectInactive(service, web, tokens.access_token);
    expect((await userinfoRequest(service, rotated.access_token)).status).toBe(401);
  });

  it('revoking an older, superseded refresh token still ends the family', async () => {
    const { tokens } = await login();
    const rotated = await expectTokens(await refresh(service, web, tokens.refresh_token!));
    await revoke(web, tokens.refresh_token!);
    await expectTokenError(await refresh(service, web, rotated.refresh_token!), 400, 'invalid_grant');
    await expectInactive(service, web, rotated.refresh_token!);
  });

  it('a JWT access token is denylisted: inactive, refused at userinfo; a second access token of the same user stays active', async () => {
    const subject = uniqueSubject();
    const first = await login(web, subject);
    const second = await login(web, subject);
    // Another access token of the same family, from a refresh before the revocation.
    const sibling = await expectTokens(await refresh(service, web, first.tokens.refresh_token!));
    expect(first.tokens.access_token.split('.')).toHaveLength(3);
    await expectActive(service, web, first.tokens.access_token);
    expect((await userinfoRequest(service, first.tokens.access_token)).status).toBe(200);

    await revoke(web, first.tokens.access_token);
    await expectInactive(service, web, first.tokens.access_token);
    const refused = await userinfoRequest(service, first.tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);

    await expectActive(service, web, second.tokens.access_token);
    expect((await userinfoRequest(service, second.tokens.access_token)).status).toBe(200);
    await expectActive(service, web, sibling.access_token);
    expect((await userinfoRequest(service, sibling.access_token)).status).toBe(200);
    // Revoking an access token leaves its refresh token (the grant) alone.
    await expectTokens(await refresh(service, web, sibling.refresh_token!));
  });

  it('an opaque access token is deleted: its item is gone, it introspects inactive and userinfo refuses it', async () => {
    const { tokens } = await login(opaque);
    expect(tokens.access_token).toMatch(/^lsa_/);
    await expectActive(service, opaque, tokens.access_token);
    expect(await storedOpaque(tokens.access_token)).toBeDefined();
    await revoke(opaque, tokens.access_token);
    expect(await storedOpaque(tokens.access_token)).toBeUndefined();
    await expectInactive(service, opaque, tokens.access_token);
    expect((await userinfoRequest(service, tokens.access_token)).status).toBe(401);
    // The refresh token is untouched, and its next access token is opaque and active.
    const next = await expectTokens(await refresh(service, opaque, tokens.refresh_token!));
    expect(next.access_token).toMatch(/^lsa_/);
    await expectActive(service, opaque, next.access_token);
  });

  describe('token_type_hint is only a hint', () => {
    it.each([
      ['a refresh token hinted as access_token', 'refresh', 'access_token'],
      ['a refresh token with an unknown hint', 'refresh', 'id_token'],
      ['an access token hinted as refresh_token', 'access', 'refresh_token'],
      ['an access token with an unknown hint', 'access', 'something_else'],
    ] as const)('%s is still revoked', async (_why, kind, hint) => {
      const { tokens } = await login();
      const token = kind === 'refresh' ? tokens.refresh_token! : tokens.access_token;
      await revoke(web, token, hint);
      await expectInactive(service, web, token);
      if (kind === 'refresh') await expectTokenError(await refresh(service, web, token), 400, 'invalid_grant');
    });
  });

  describe('tokens the server does not know: 200, and nothing happens', () => {
    it.each([
      ['garbage', () => 'not-a-token'],
      ['a well-formed refresh token of no family', () => encodeRefreshToken({ familyId: newFamilyId(), generation: 0, absoluteExpiresAt: Math.floor(Date.now() / 1000) + 31_536_000, secret: newRefreshSecret() })],
      ['a refresh token of all zero bytes', () => `lsr_${'A'.repeat(75)}`],
      ['an opaque-looking access token never issued', () => `lsa_${randomBytes(32).toString('base64url')}`],
      ['three dots of nothing', () => 'a.b.c'],
      ['a very long token', () => 'x'.repeat(20_000)],
      ['a JWT signed by someone else', async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ sub: 'alice', client_id: 'x', scope: 'openid', jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
          .setIssuer(service.url)
          .setAudience('orders-api')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      }],
    ])('%s → 200', async (_why, make) => {
      const token = await make();
      await expectRevoked(await revokeRequest(service, web, token));
    });
  });

  it("another client's tokens: 200, and they are NOT revoked (still active for their own client)", async () => {
    const { tokens } = await login(web);
    await revoke(other, tokens.refresh_token!);
    await revoke(other, tokens.access_token);
    await expectRevoked(await revokeRequest(service, spa, tokens.refresh_token));
    await expectRevoked(await revokeRequest(service, spa, tokens.access_token));
    await expectActive(service, web, tokens.refresh_token!);
    await expectActive(service, web, tokens.access_token);
    expect((await userinfoRequest(service, tokens.access_token)).status).toBe(200);
    await expectTokens(await refresh(service, web, tokens.refresh_token!));
    // An opaque access token of another client is not deleted either.
    const handle = await login(opaque);
    await revoke(web, handle.tokens.access_token);
    expect(await storedOpaque(handle.tokens.access_token)).toBeDefined();
    await expectActive(service, opaque, handle.tokens.access_token);
  });

  it('a public client revokes its own refresh token (client_id in the body, no secret)', async () => {
    const { tokens } = await login(spa);
    await revoke(spa, tokens.refresh_token!);
    await expectTokenError(await refresh(service, spa, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('revoking twice is fine: the second answer is 200 too', async () => {
    const { tokens } = await login();
    await revoke(web, tokens.refresh_token!);
    await revoke(web, tokens.refresh_token!);
    await revoke(web, tokens.access_token);
    await revoke(web, tokens.access_token);
    await expectInactive(service, web, tokens.access_token);
  });

  it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])('discovery (%s) lists the revocation, introspection, userinfo, end-session and device endpoints', async (path) => {
    const metadata = (await (await fetch(`${service.url}${path}`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      revocation_endpoint: `${service.url}/revoke`,
      introspection_endpoint: `${service.url}/introspect`,
      userinfo_endpoint: `${service.url}/userinfo`,
      end_session_endpoint: `${service.url}/logout`,
      device_authorization_endpoint: `${service.url}/device_authorization`,
    });
    // oauth4webapi found the same endpoints.
    expect(as.revocation_endpoint).toBe(`${service.url}/revoke`);
    expect(as.introspection_endpoint).toBe(`${service.url}/introspect`);
  });
});
