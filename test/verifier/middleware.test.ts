import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  lifespanAuth,
  type LifespanAuthOptions,
  type LifespanAuthorizedEvent,
  type Verifier,
} from '../../functions/verifier/index.ts';
import { apiEvent } from '../support/events.ts';
import { newClient, type TestClient, type Tokens } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { userTokens } from './local-server-suite.ts';
import { clockAt, expectNoTokenContent, split } from './support.ts';

const context = { functionName: 'orders-api', awsRequestId: 'test' } as Context;

/** A tiny orders API behind the middleware; records the claims it was handed. */
function ordersApi(options: LifespanAuthOptions) {
  const seen: LifespanAuthorizedEvent[] = [];
  const handler = middy<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2>()
    .use(lifespanAuth(options))
    .handler(async (event) => {
      seen.push(event);
      return { statusCode: 200, body: JSON.stringify({ orders: [], for: event.requestContext.authorizer.lifespan.sub }) };
    });
  const call = async (headers: Record<string, string> = {}, event: APIGatewayProxyEventV2 = apiEvent({ path: '/orders', headers })) =>
    (await handler(event as LifespanAuthorizedEvent, context)) as APIGatewayProxyStructuredResultV2;
  return { call, seen };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const body = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(response.body ?? '') as Record<string, string>;
const challenge = (response: APIGatewayProxyStructuredResultV2) => response.headers?.['www-authenticate'] as string | undefined;

describe('lifespanAuth (middy, API Gateway HTTP API v2)', () => {
  let service: TestServer;
  let client: TestClient;
  let tokens: Tokens;
  let verifier: Verifier;
  beforeAll(async () => {
    service = await startTestServer();
    client = await newClient(service);
    tokens = await userTokens(service, client);
    verifier = createVerifier({ issuer: service.url, audience: 'orders-api' });
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('lets a valid token through and hands the claims to the handler', async () => {
    const api = ordersApi({ verifier, requiredScopes: ['orders:read'] });
    const event = apiEvent({ path: '/orders', headers: { Authorization: `bearer ${tokens.access_token}` } });
    (event.requestContext as unknown as { authorizer: object }).authorizer = { iam: { userId: 'kept' } };
    const response = await api.call({}, event);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual({ orders: [], for: 'alice' });
    expect(api.seen[0]!.requestContext.authorizer).toMatchObject({ iam: { userId: 'kept' }, lifespan: { sub: 'alice', aud: 'orders-api' } });
  });

  it('no access token: 401 with the Bearer and DPoP challenges, realm and algs only (RFC 6750 §3.1, RFC 9449 §7.1)', async () => {
    const api = ordersApi({ verifier });
    const requests: Array<Record<string, string>> = [
      {},
      { authorization: 'Basic YWxpY2U6c2VjcmV0' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer   ' },
      { authorization: 'DPoP' },
      { authorization: 'dpop  ' },
    ];
    for (const headers of requests) {
      const response = await api.call(headers);
      expect(response.statusCode).toBe(401);
      expect(challenge(response)).toBe(
        'Bearer realm="orders-api", DPoP realm="orders-api", algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519"',
      );
      expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
      expect(body(response)).not.toHaveProperty('error');
    }
    expect(api.seen).toHaveLength(0);
  });

  it('a malformed Bearer credential: 400 invalid_request', async () => {
    const response = await ordersApi({ verifier, realm: 'orders' }).call({ authorization: 'Bearer two tokens' });
    expect(response.statusCode).toBe(400);
    expect(challenge(response)).toMatch(/^Bearer realm="orders", error="invalid_request", error_description="[^"]+"$/);
  });

  it('a refused token: 401 invalid_token, with nothing of the token in header or body', async () => {
    const api = ordersApi({ verifier });
    const { header, payload, signature } = split(tokens.access_token);
    const tampered = [
      Buffer.from(JSON.stringify(header)).toString('base64url'),
      Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url'),
      signature,
    ].join('.');
    for (const token of [tampered, tokens.id_token!, 'not-a-jwt']) {
      const response = await api.call(bearer(token));
      expect(response.statusCode).toBe(401);
      expect(challenge(response)).toMatch(/^Bearer realm="orders-api", error="invalid_token", error_description="[^"]+"$/);
      expect(body(response)).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      // The realm is this API's configured audience, which a valid token's aud repeats by design.
      expectNoTokenContent(`${challenge(response)!.replace('realm="orders-api"', '')} ${response.body}`, token);
    }
    expect(api.seen).toHaveLength(0);
  });

  it('a missing scope: 403 insufficient_scope naming the scopes required', async () => {
    const response = await ordersApi({ verifier, requiredScopes: ['orders:read', 'orders:write'] }).call(bearer(tokens.access_token));
    expect(response.statusCode).toBe(403);
    expect(challenge(response)).toMatch(/^Bearer realm="orders-api", error="insufficient_scope", error_description="[^"]+", scope="orders:read orders:write"$/);
    expect(body(response)).toMatchObject({ error: 'insufficient_scope', scope: 'orders:read orders:write' });
  });

  it('step-up: 401 insufficient_user_authentication with max_age (RFC 9470), and through when fresh', async () => {
    const authTime = split(tokens.access_token).payload['auth_time'] as number;
    const later = createVerifier({ issuer: service.url, audience: 'orders-api', clock: clockAt(authTime + 120) });
    const refused = await ordersApi({ verifier: later, maxAuthAge: 60 }).call(bearer(tokens.access_token));
    expect(refused.statusCode).toBe(401);
    expect(challenge(refused)).toMatch(/^Bearer realm="orders-api", error="insufficient_user_authentication", error_description="[^"]+", max_age=60$/);
    expect(body(refused)).toMatchObject({ error: 'insufficient_user_authentication' });
    expect((await ordersApi({ verifier: later, maxAuthAge: 300 }).call(bearer(tokens.access_token))).statusCode).toBe(200);
  });

  it('an unreachable JWKS: 503 with Retry-After, no challenge', async () => {
    const offline = createVerifier({ issuer: service.url, audience: 'orders-api', fetch: async () => new Response('down', { status: 502 }) });
    const response = await ordersApi({ verifier: offline }).call(bearer(tokens.access_token));
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5' });
    expect(challenge(response)).toBeUndefined();
    expect(response.body).not.toContain(service.url);
  });

  it('errors that are not the verifier’s propagate to middy', async () => {
    const broken: Verifier = { issuer: service.url, audience: ['orders-api'], verify: async () => Promise.reject(new Error('boom')) };
    await expect(ordersApi({ verifier: broken }).call(bearer(tokens.access_token))).rejects.toThrow('boom');
  });

  it('fuzz: any Authorization header gets 400 or 401 with a known challenge and a JSON body', async () => {
    const api = ordersApi({ verifier });
    const [h, p, s] = tokens.access_token.split('.') as [string, string, string];
    const credential = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[A-Za-z0-9._~+/=-]{0,80}$/),
      fc.tuple(fc.constantFrom(h, p, s, 'eyJhbGciOiJub25lIn0'), fc.constantFrom(h, p, s, ''), fc.string()).map((parts) => parts.join('.')),
    );
    const authorization = fc.oneof(
      credential,
      credential.map((value) => `Bearer ${value}`),
      credential.map((value) => `bEaReR  ${value}`),
      credential.map((value) => `DPoP ${value}`),
    );
    const known = new RegExp(
      [
        '^Bearer realm="orders-api"(, error="(invalid_request|invalid_token)", error_description="[^"]+")?$',
        '^Bearer realm="orders-api", DPoP realm="orders-api", algs="[^"]+"$',
        '^DPoP realm="orders-api", error="(invalid_request|invalid_token|invalid_dpop_proof)", error_description="[^"]+", algs="[^"]+"$',
      ].join('|'),
    );
    await fc.assert(
      fc.asyncProperty(authorization, fc.option(fc.string(), { nil: undefined }), async (value, proof) => {
        const response = await api.call({ authorization: value, ...(proof !== undefined && { dpop: proof }) });
        expect([400, 401]).toContain(response.statusCode);
        expect(challenge(response)).toMatch(known);
        expect(() => body(response)).not.toThrow();
      }),
      { numRuns: 200 },
    );
    expect(api.seen).toHaveLength(0);
  });
});
