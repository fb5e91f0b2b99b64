import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REDIRECT,
  basic,
  codeFor,
  exchangeCode,
  expectActive,
  expectInactive,
  expectTokenError,
  expectTokens,
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

/** `POST /token` refusals over real HTTP: each with its RFC 6749 §5.2 error, status and headers. */
describe('/token refusals', () => {
  let service: TestServer;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    [client, other, spa] = await Promise.all([newClient(service), newClient(service), newPublicClient(service)]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A fresh code for `who`, with its PKCE verifier. */
  const freshCode = async (who: TestClient = client, params: Record<string, string | undefined> = {}) => {
    const { code, request } = await codeFor(service, who, params);
    return { code, verifier: request.verifier };
  };

  describe('authorization_code', () => {
    it('a replayed code is refused, and the refresh token its first use issued is revoked with it', async () => {
      const { code, verifier } = await freshCode();
      const first = await expectTokens(await exchangeCode(service, client, code, verifier));
      expect(first.refresh_token).toMatch(/^lsr_/);
      await expectTokenError(await exchangeCode(service, client, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, client, first.refresh_token!), 400, 'invalid_grant');
    });

    it('a replay after the refresh token was already rotated revokes the rotated one too', async () => {
      const { code, verifier } = await freshCode();
      const first = await expectTokens(await exchangeCode(service, client, code, verifier));
      const rotated = await expectTokens(await refresh(service, client, first.refresh_token!));
      await expectTokenError(await exchangeCode(service, client, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, client, rotated.refresh_token!), 400, 'invalid_grant');
    });

    it('a used code replayed by another client or without the right verifier is refused and revokes nothing; by its client with its verifier, it revokes', async () => {
      const { code, verifier } = await freshCode();
      const first = await expectTokens(await exchangeCode(service, client, code, verifier));
      const wrongVerifier = randomBytes(48).toString('base64url');
      // Whoever else got hold of the used code (a leaked log, a malicious app) cannot spend the real client's tokens.
      await expectTokenError(await exchangeCode(service, other, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await exchangeCode(service, spa, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await exchangeCode(service, client, code, wrongVerifier), 400, 'invalid_grant');
      await expectTokenError(await exchangeCode(service, other, code, wrongVerifier), 400, 'invalid_grant');
      expect((await expectActive(service, client, first.access_token))['sub']).toBe('alice');
      expect((await userinfoRequest(service, first.access_token)).status).toBe(200);
      const rotated = await expectTokens(await refresh(service, client, first.refresh_token!));

      // RFC 6749 §4.1.2: the client itself presenting the code again (right verifier) revokes what it issued.
      await expectTokenError(await exchangeCode(service, client, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, client, rotated.refresh_token!), 400, 'invalid_grant');
      await expectInactive(service, client, rotated.access_token);
      expect((await userinfoRequest(service, first.access_token)).status).toBe(401);
    });

    it('a PKCE mismatch is invalid_grant, and does not burn the code: the right verifier still works', async () => {
      const { code, verifier } = await freshCode();
      const wrong = `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`;
      await expectTokenError(await exchangeCode(service, client, code, wrong), 400, 'invalid_grant');
      await expectTokenError(await exchangeCode(service, client, code, randomBytes(48).toString('base64url')), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it('the code challenge itself is not accepted as the verifier (S256 only, never plain)', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const { code, request } = await codeFor(service, client, { code_challenge: challenge });
      expect(request.verifier).not.toBe(verifier);
      await expectTokenError(await exchangeCode(service, client, code, challenge), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it('a missing code_verifier is invalid_grant, and the code still works with it', async () => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, client, code, verifier, { code_verifier: undefined }), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it.each([
      ['too short (42 characters)', 'a'.repeat(42)],
      ['too long (129 characters)', 'a'.repeat(129)],
      ['characters outside the unreserved set', `${'a'.repeat(42)}+/`],
      ['spaces', `${'a'.repeat(20)} ${'a'.repeat(22)}`],
    ])('a malformed code_verifier (%s) is invalid_grant, and does not burn the code', async (_why, malformed) => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, client, code, malformed), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it.each([
      ['a trailing slash', `${REDIRECT}/`],
      ['another URI', 'https://evil.example.com/callback'],
      ['http instead of https', REDIRECT.replace('https:', 'http:')],
    ])('a redirect_uri mismatch (%s) is invalid_grant, and the code still works with the right one', async (_why, redirectUri) => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, client, code, verifier, { redirect_uri: redirectUri }), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it('a redirect_uri sent to /authorize must be sent again: omitting it is invalid_grant, without burning the code', async () => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, client, code, verifier, { redirect_uri: undefined }), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it('redirect_uri omitted at /authorize (plain OAuth, one registered): the token request may omit it too (RFC 6749 §4.1.3)', async () => {
      const { code, verifier } = await freshCode(client, { redirect_uri: undefined, scope: 'offline_access orders:read' });
      const response = await exchangeCode(service, client, code, verifier, { redirect_uri: undefined });
      await expectTokens(response);
    });

    it('another registered client presenting the code gets invalid_grant, and the code still works for its client', async () => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, other, code, verifier), 400, 'invalid_grant');
      await expectTokenError(await exchangeCode(service, spa, code, verifier), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it('a missing code is invalid_request; an unknown code is invalid_grant', async () => {
      await expectTokenError(await exchangeCode(service, client, '', 'a'.repeat(43), { code: undefined }), 400, 'invalid_request');
      await expectTokenError(await exchangeCode(service, client, randomBytes(32).toString('base64url'), 'a'.repeat(43)), 400, 'invalid_grant');
    });

    it('a resource other than the one authorized is invalid_target', async () => {
      const { code, verifier } = await freshCode();
      await expectTokenError(await exchangeCode(service, client, code, verifier, { resource: 'billing-api' }), 400, 'invalid_target');
    });

    it('a public client that sends no code_verifier gets invalid_grant; with it, tokens', async () => {
      const { code, verifier } = await freshCode(spa);
      await expectTokenError(await exchangeCode(service, spa, code, verifier, { code_verifier: undefined }), 400, 'invalid_grant');
      await expectTokens(await exchangeCode(service, spa, code, verifier));
    });
  });

  describe('the request and the client', () => {
    it('a missing grant_type is invalid_request', async () => {
      await expectTokenError(await tokenRequest(service, { code: 'x' }, client), 400, 'invalid_request');
    });

    it.each(['password', 'implicit', 'token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:saml2-bearer', 'AUTHORIZATION_CODE'])(
      'grant_type=%s is unsupported_grant_type',
      async (grantType) => {
        await expectTokenError(await tokenRequest(service, { grant_type: grantType, username: 'a', password: 'b' }, client), 400, 'unsupported_grant_type');
      },
    );

    it('a grant the client is not registered for is unauthorized_client', async () => {
      await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials' }, client), 400, 'unauthorized_client');
      const codeOnly = await newClient(service, { grant_types: ['authorization_code'] });
      await expectTokenError(
        await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: `lsr_${'A'.repeat(75)}` }, codeOnly),
        400,
        'unauthorized_client',
      );
    });

    it('a wrong client secret is 401 invalid_client with WWW-Authenticate, by Basic and by post', async () => {
      const form = { grant_type: 'client_credentials' };
      await expectTokenError(await tokenRequest(service, form, { client_id: client.client_id, client_secret: 'wrong' }), 401, 'invalid_client');
      await expectTokenError(
        await tokenRequest(service, form, { client_id: client.client_id, client_secret: `${client.client_secret!}x` }),
        401,
        'invalid_client',
      );
      // The right secret by client_secret_post, for a client registered for client_secret_basic: refused too.
      await expectTokenError(
        await tokenRequest(service, { ...form, client_id: client.client_id, client_secret: client.client_secret! }),
        401,
        'invalid_client',
      );
    });

    it('an unknown client, and no client authentication at all, are 401 invalid_client', async () => {
      await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials' }, { client_id: 'nobody', client_secret: 'x' }), 401, 'invalid_client');
      await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials', client_id: 'nobody' }), 401, 'invalid_client');
      await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials' }), 401, 'invalid_client');
    });

    it('a confidential client presenting only its client_id (no secret) is 401 invalid_client', async () => {
      const { code, verifier } = await freshCode();
      await expectTokenError(
        await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: client.client_id }),
        401,
        'invalid_client',
      );
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });

    it.each(['/token', '/revoke', '/introspect', '/device_authorization'])(
      '%s: an unknown client, a wrong secret, a public client with a secret, a confidential one without: the same answer',
      async (path) => {
        const form: Record<string, string> = path === '/token' ? { grant_type: 'client_credentials' } : path === '/device_authorization' ? {} : { token: 'x' };
        const send = async (body: Record<string, string>, headers: Record<string, string> = {}) => {
          const response = await fetch(`${service.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
            body: new URLSearchParams({ ...form, ...body }).toString(),
          });
          return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.text() };
        };
        // Fresh clients and ids for each endpoint: failures are counted per client id.
        const [confidential, browser] = await Promise.all([newClient(service), newPublicClient(service)]);
        const nobody = `nobody-${crypto.randomUUID()}`;
        const unknown = await send({}, { authorization: basic(nobody, 'secret') });
        expect(unknown.status).toBe(401);
        const answers = {
          'unknown, by post': await send({ client_id: nobody, client_secret: 'secret' }),
          'unknown, no secret': await send({ client_id: nobody }),
          'wrong secret': await send({}, { authorization: basic(confidential.client_id, 'wrong') }),
          'public client with a secret (post)': await send({ client_id: browser.client_id, client_secret: 'x' }),
          'public client with a secret (Basic)': await send({}, { authorization: basic(browser.client_id, 'x') }),
          'confidential client with no secret': await send({ client_id: confidential.client_id }),
          'right secret, wrong method': await send({ client_id: confidential.client_id, client_secret: confidential.client_secret! }),
        };
        for (const [why, answer] of Object.entries(answers)) expect({ why, ...answer }).toEqual({ why, ...unknown });
      },
    );

    it('a malformed Basic header is 401 invalid_client', async () => {
      for (const authorization of ['Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from(':secret').toString('base64')}`]) {
        await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials' }, undefined, { authorization }), 401, 'invalid_client');
      }
    });

    it('two authentication methods at once, or a body client_id that differs from Basic, are invalid_request', async () => {
      await expectTokenError(
        await tokenRequest(service, { grant_type: 'client_credentials', client_secret: client.client_secret! }, client),
        400,
        'invalid_request',
      );
      await expectTokenError(
        await tokenRequest(service, { grant_type: 'client_credentials', client_id: other.client_id }, client),
        400,
        'invalid_request',
      );
    });

    it('a public client presenting a secret (post or Basic) is 401 invalid_client', async () => {
      const { code, verifier } = await freshCode(spa);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
      await expectTokenError(await tokenRequest(service, { ...form, client_id: spa.client_id, client_secret: 'x' }), 401, 'invalid_client');
      await expectTokenError(await tokenRequest(service, form, undefined, { authorization: basic(spa.client_id, '') }), 401, 'invalid_client');
      await expectTokens(await exchangeCode(service, spa, code, verifier));
    });

    it('a body that is not a form is 415; a repeated parameter is invalid_request', async () => {
      const response = await fetch(`${service.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(client.client_id, client.client_secret!) },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      await expectTokenError(response, 415, 'invalid_request');
      const repeated = await fetch(`${service.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret!) },
        body: 'grant_type=refresh_token&grant_type=client_credentials',
      });
      await expectTokenError(repeated, 400, 'invalid_request');
    });

    it('errors carry CORS so a browser client can read them', async () => {
      const response = await tokenRequest(service, { grant_type: 'password' }, spa);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      await expectTokenError(response, 400, 'unsupported_grant_type');
    });
  });

  describe('refresh_token', () => {
    const refreshTokenFor = async (who: TestClient = client) => {
      const { code, verifier } = await freshCode(who);
      const tokens = await expectTokens(await exchangeCode(service, who, code, verifier));
      expect(tokens.refresh_token).toMatch(/^lsr_/);
      return tokens.refresh_token!;
    };

    it('asking for a scope not originally granted is invalid_scope, and does not burn the refresh token', async () => {
      const { code, verifier } = await freshCode(client, { scope: 'openid offline_access' });
      const tokens = await expectTokens(await exchangeCode(service, client, code, verifier));
      // `orders:read` is registered for the client but was not granted here; `admin` is neither.
      await expectTokenError(await refresh(service, client, tokens.refresh_token!, { scope: 'openid orders:read' }), 400, 'invalid_scope');
      await expectTokenError(await refresh(service, client, tokens.refresh_token!, { scope: 'admin' }), 400, 'invalid_scope');
      const next = await expectTokens(await refresh(service, client, tokens.refresh_token!));
      expect(next.scope).toBe('openid offline_access');
      expect(next.refresh_token).not.toBe(tokens.refresh_token);
    });

    it('a narrower scope is granted for that response', async () => {
      const token = await refreshTokenFor();
      const next = await expectTokens(await refresh(service, client, token, { scope: 'orders:read' }));
      expect(next.scope).toBe('orders:read');
    });

    it('a request with very many scopes is refused with invalid_scope, not a server error', async () => {
      const token = await refreshTokenFor();
      const scope = Array.from({ length: 300 }, (_unused, index) => `scope${index}`).join(' ');
      // invalid_scope (none of these was granted), or invalid_request should a cap on the number of scopes be added.
      await expectTokenError(await refresh(service, client, token, { scope }), 400, ['invalid_scope', 'invalid_request']);
      await expectTokens(await refresh(service, client, token));
    });

    it('a malformed scope is invalid_scope', async () => {
      const token = await refreshTokenFor();
      await expectTokenError(await refresh(service, client, token, { scope: 'openid "x"' }), 400, 'invalid_scope');
    });

    it('malformed refresh tokens are invalid_grant, and a forged variant neither burns nor revokes the real one', async () => {
      const token = await refreshTokenFor();
      const body = token.slice(4);
      const flipped = (index: number) => `lsr_${body.slice(0, index)}${body[index] === 'A' ? 'B' : 'A'}${body.slice(index + 1)}`;
      const forged = [
        'garbage',
        'lsr_',
        `lsr_${randomBytes(56).toString('base64url')}`,
        token.slice(0, -2),
        `${token}AA`,
        token.replace('lsr_', 'lsa_'),
        flipped(body.length - 2), // the secret
        flipped(0), // the family id
        flipped(17), // the generation
        flipped(21), // the absolute expiry
        'x'.repeat(5000),
      ];
      for (const candidate of forged) {
        await expectTokenError(await refresh(service, client, candidate), 400, 'invalid_grant');
      }
      await expectTokens(await refresh(service, client, token));
    });

    it('a missing refresh_token is invalid_request', async () => {
      await expectTokenError(await tokenRequest(service, { grant_type: 'refresh_token' }, client), 400, 'invalid_request');
    });

    it('a refresh token presented by another client is invalid_grant, and still works for its own client', async () => {
      const token = await refreshTokenFor();
      await expectTokenError(await refresh(service, other, token), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, spa, token), 400, 'invalid_grant');
      await expectTokens(await refresh(service, client, token));
    });

    it('a superseded refresh token is invalid_grant and revokes its family', async () => {
      const token = await refreshTokenFor();
      const next = await expectTokens(await refresh(service, client, token));
      await expectTokenError(await refresh(service, client, token), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, client, next.refresh_token!), 400, 'invalid_grant');
    });
  });

  describe('lifetimes', () => {
    it('an expired code is invalid_grant (authorization_code_ttl = 1 s)', async () => {
      await writeParameters(service, { authorization_code_ttl: 1 });
      try {
        const { code, verifier } = await freshCode();
        await sleep(2_100);
        await expectTokenError(await exchangeCode(service, client, code, verifier), 400, 'invalid_grant');
      } finally {
        await writeParameters(service, {});
      }
      // Back to the default lifetime: a code survives the same wait.
      const { code, verifier } = await freshCode();
      await sleep(1_100);
      await expectTokens(await exchangeCode(service, client, code, verifier));
    });
  });
});
