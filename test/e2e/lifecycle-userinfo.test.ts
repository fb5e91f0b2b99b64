import { generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeFor,
  discover,
  exchangeCode,
  expectRevoked,
  expectTokens,
  loginTokens,
  newClient,
  refresh,
  revokeRequest,
  sleep,
  startOfNextSecond,
  uniqueSubject,
  userinfoRequest,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const CLAIMS = { email: 'someone@example.com', email_verified: true, name: 'Some One', custom_thing: 'never released' };
const SCOPES = ['openid', 'profile', 'email', 'offline_access', 'orders:read'];

/** `GET /userinfo` (OIDC Core §5.3) over real HTTP. */
describe('GET /userinfo', () => {
  let service: TestServer;
  let as: oauth.AuthorizationServer;
  let web: TestClient;
  let opaque: TestClient;
  let short: TestClient;

  beforeAll(async () => {
    service = await startTestServer({ parameters: { clock_skew_tolerance: 0 } });
    [web, opaque, short] = await Promise.all([
      newClient(service, { scopes: SCOPES }),
      newClient(service, { scopes: SCOPES }),
      newClient(service, { scopes: SCOPES }),
    ]);
    await writeParameters(service, {
      clock_skew_tolerance: 0,
      clients: { [opaque.client_id]: { access_token_format: 'opaque' }, [short.client_id]: { access_token_ttl: 1 } },
    });
    as = await discover(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A login of a fresh subject whose login app sent {@link CLAIMS}, for `scope`. */
  async function tokensFor(scope: string, client: TestClient = web) {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, client, { params: { scope }, accept: { subject, claims: CLAIMS } });
    return { subject, tokens };
  }

  async function expectClaims(token: string, expected: Record<string, unknown>): Promise<void> {
    const response = await userinfoRequest(service, token);
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 200 });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(text)).toEqual(expected);
  }

  async function expectInvalidToken(response: Response): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 401 });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_token' });
  }

  describe('claims by scope', () => {
    it('openid email: sub, email and email_verified only (through oauth4webapi)', async () => {
      const { subject, tokens } = await tokensFor('openid email');
      const client = { client_id: web.client_id };
      const response = await oauth.userInfoRequest(as, client, tokens.access_token, { [oauth.allowInsecureRequests]: true });
      const claims = await oauth.processUserInfoResponse(as, client, subject, response);
      expect({ ...claims }).toEqual({ sub: subject, email: CLAIMS.email, email_verified: true });
    });

    it('openid profile: sub and name only', async () => {
      const { subject, tokens } = await tokensFor('openid profile');
      await expectClaims(tokens.access_token, { sub: subject, name: CLAIMS.name });
    });

    it('openid alone: sub only', async () => {
      const { subject, tokens } = await tokensFor('openid');
      await expectClaims(tokens.access_token, { sub: subject });
    });

    it('openid profile email: name, email, email_verified; a custom claim never', async () => {
      const { subject, tokens } = await tokensFor('openid profile email offline_access');
      await expectClaims(tokens.access_token, { sub: subject, name: CLAIMS.name, email: CLAIMS.email, email_verified: true });
      // After a refresh narrowed to openid email, only what that releases.
      const narrowed = await expectTokens(await refresh(service, web, tokens.refresh_token!, { scope: 'openid email' }));
      await expectClaims(narrowed.access_token, { sub: subject, email: CLAIMS.email, email_verified: true });
    });

    it('an opaque access token works the same way', async () => {
      const { subject, tokens } = await tokensFor('openid email', opaque);
      expect(tokens.access_token).toMatch(/^lsa_/);
      await expectClaims(tokens.access_token, { sub: subject, email: CLAIMS.email, email_verified: true });
    });
  });

  describe('401 invalid_token with a Bearer challenge', () => {
    it.each([
      ['garbage', 'garbage'],
      ['a JWT-shaped string', 'a.b.c'],
      ['an opaque-looking token never issued', `lsa_${'A'.repeat(43)}`],
    ])('%s', async (_why, token) => {
      await expectInvalidToken(await userinfoRequest(service, token));
    });

    it('a JWT signed by another key', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ client_id: web.client_id, scope: 'openid email', jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
        .setIssuer(service.url)
        .setSubject('alice')
        .setAudience('orders-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      await expectInvalidToken(await userinfoRequest(service, forged));
    });

    it('an expired access token (access_token_ttl 1, clock_skew_tolerance 0)', async () => {
      const { code, request } = await codeFor(service, short, { scope: 'openid email' }, { subject: uniqueSubject(), claims: CLAIMS });
      await startOfNextSecond();
      const tokens = await expectTokens(await exchangeCode(service, short, code, request.verifier));
      expect(tokens.expires_in).toBe(1);
      expect((await userinfoRequest(service, tokens.access_token)).status).toBe(200);
      await sleep(1_100);
      await expectInvalidToken(await userinfoRequest(service, tokens.access_token));
    });

    it('a revoked JWT access token and a revoked opaque one', async () => {
      const jwt = await tokensFor('openid email');
      await expectRevoked(await revokeRequest(service, web, jwt.tokens.access_token));
      await expectInvalidToken(await userinfoRequest(service, jwt.tokens.access_token));
      const handle = await tokensFor('openid email', opaque);
      await expectRevoked(await revokeRequest(service, opaque, handle.tokens.access_token));
      await expectInvalidToken(await userinfoRequest(service, handle.tokens.access_token));
    });

    it('an access token whose refresh family was revoked', async () => {
      const { tokens } = await tokensFor('openid email offline_access');
      await expectRevoked(await revokeRequest(service, web, tokens.refresh_token));
      await expectInvalidToken(await userinfoRequest(service, tokens.access_token));
    });

    it('an ID token presented as an access token', async () => {
      const { tokens } = await tokensFor('openid email');
      expect(tokens.id_token).toBeDefined();
      await expectInvalidToken(await userinfoRequest(service, tokens.id_token!));
    });

    it('a refresh token presented as an access token', async () => {
      const { tokens } = await tokensFor('openid email offline_access');
      await expectInvalidToken(await userinfoRequest(service, tokens.refresh_token!));
    });
  });

  it('403 insufficient_scope for an access token without openid', async () => {
    const { tokens } = await tokensFor('orders:read');
    const response = await userinfoRequest(service, tokens.access_token);
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 403 });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="insufficient_scope"/);
    expect(JSON.parse(text)).toMatchObject({ error: 'insufficient_scope' });
  });

  it('401 without an Authorization header, with a bare Bearer challenge (RFC 6750 §3.1: no error code)', async () => {
    const response = await userinfoRequest(service);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).not.toMatch(/error=/);
  });

  it('401 for a token sent another way than the Bearer scheme', async () => {
    const { tokens } = await tokensFor('openid');
    const response = await userinfoRequest(service, undefined, { authorization: `Basic ${tokens.access_token}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const query = await fetch(`${service.url}/userinfo?access_token=${encodeURIComponent(tokens.access_token)}`);
    expect(query.status).toBe(401);
  });

  it('a token for the user after revocation of another of their tokens still works (denylist is per token)', async () => {
    const subject = uniqueSubject();
    const first = await loginTokens(service, web, { params: { scope: 'openid email' }, accept: { subject, claims: CLAIMS } });
    const second = await loginTokens(service, web, { params: { scope: 'openid email' }, accept: { subject, claims: CLAIMS } });
    await expectRevoked(await revokeRequest(service, web, first.tokens.access_token));
    await expectInvalidToken(await userinfoRequest(service, first.tokens.access_token));
    await expectClaims(second.tokens.access_token, { sub: subject, email: CLAIMS.email, email_verified: true });
  });
});
