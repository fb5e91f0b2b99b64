import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createVerifier,
  lifespanAuth,
  type DpopReplayStore,
  type LifespanAuthOptions,
  type LifespanAuthorizedEvent,
  type Verifier,
} from '../../functions/verifier/index.ts';
import { apiEvent } from '../support/events.ts';
import { claims, dpopKey, ISSUER, JwksServer, ManualClock, signingKey } from './support.ts';

const context = { functionName: 'orders-api', awsRequestId: 'test' } as Context;
const ALGS = 'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519"';
/** What the middleware names the request by default: `https://${domainName}${rawPath}` (apiEvent's domain is `test`). */
const URL_ = 'https://test/orders';

function ordersApi(options: LifespanAuthOptions) {
  const seen: LifespanAuthorizedEvent[] = [];
  const handler = middy<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2>()
    .use(lifespanAuth(options))
    .handler(async (event) => {
      seen.push(event);
      return { statusCode: 200, body: JSON.stringify({ for: event.requestContext.authorizer.lifespan.sub }) };
    });
  const call = async (headers: Record<string, string>, method = 'GET', path = '/orders') =>
    (await handler(apiEvent({ method, path, headers }) as LifespanAuthorizedEvent, context)) as APIGatewayProxyStructuredResultV2;
  return { call, seen, handler };
}

const challenge = (response: APIGatewayProxyStructuredResultV2) => response.headers?.['www-authenticate'];
const body = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(response.body ?? '') as Record<string, string>;

describe('lifespanAuth with DPoP (RFC 9449 §7)', () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let client: Awaited<ReturnType<typeof dpopKey>>;
  let jwks: JwksServer;
  let now: number;
  let clock: ManualClock;
  let verifier: Verifier;
  let token: string;

  const dpop = (value: string, proof?: string) => ({ authorization: `DPoP ${value}`, ...(proof !== undefined && { dpop: proof }) });
  const proofFor = (value: string, method = 'GET', url = URL_) => client.proof({ method, url, token: value, iat: now });

  beforeAll(async () => {
    key = await signingKey('ES256');
    client = await dpopKey('ES256');
    jwks = new JwksServer([key.jwk]);
  });
  beforeEach(async () => {
    now = Math.floor(Date.now() / 1000);
    clock = new ManualClock(now * 1000);
    verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock });
    token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
  });

  it('lets a bound token through with its proof, whatever the case of the scheme, and hands over cnf', async () => {
    const api = ordersApi({ verifier, requiredScopes: ['orders:read'] });
    for (const scheme of ['DPoP', 'dpop', 'DPOP']) {
      const response = await api.call({ Authorization: `${scheme}  ${token}`, DPoP: await proofFor(token) });
      expect(response.statusCode).toBe(200);
    }
    expect(api.seen[0]!.requestContext.authorizer.lifespan).toMatchObject({ sub: 'alice', cnf: { jkt: client.jkt } });
  });

  it('a token that is not bound still passes as Bearer, a DPoP header or not', async () => {
    const api = ordersApi({ verifier });
    const plain = await key.sign(claims(now));
    expect((await api.call({ authorization: `Bearer ${plain}` })).statusCode).toBe(200);
    expect((await api.call({ authorization: `Bearer ${plain}`, dpop: 'anything, at all' })).statusCode).toBe(200);
  });

  it('a refused proof: 401 DPoP error="invalid_dpop_proof" with algs, the same code in the body', async () => {
    const api = ordersApi({ verifier });
    const response = await api.call(dpop(token, await proofFor(token, 'GET', 'https://test/other')));
    expect(response.statusCode).toBe(401);
    expect(challenge(response)).toBe(
      `DPoP realm="orders-api", error="invalid_dpop_proof", error_description="the DPoP proof htu does not match the request URL", ${ALGS}`,
    );
    expect(body(response)).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof htu does not match the request URL' });
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(api.seen).toHaveLength(0);
  });

  it.each([
    ['no proof', async (t: string) => dpop(t), 'a DPoP proof is required with a DPoP-bound access token'],
    ['two proofs (joined by API Gateway)', async (t: string) => dpop(t, `${await proofFor(t)},${await proofFor(t)}`), 'send exactly one DPoP proof'],
    ['a proof by another key', async (t: string) => dpop(t, await (await dpopKey()).proof({ method: 'GET', url: URL_, token: t })), 'the DPoP proof is signed with another key than the one the access token is bound to'],
    ['a proof for another token', async (t: string) => dpop(t, await proofFor(`${t}x`)), 'the DPoP proof ath does not match the access token'],
    ['a proof for another method', async (t: string) => dpop(t, await proofFor(t, 'POST')), 'the DPoP proof htm does not match the request method'],
    ['a proof of another type (the quotes dropped)', async (t: string) => dpop(t, await client.proof({ method: 'GET', url: URL_, token: t }, {}, { typ: 'JWT' })), 'the DPoP proof must have typ dpop+jwt'],
  ])('%s: 401 invalid_dpop_proof', async (_, headers, description) => {
    const response = await ordersApi({ verifier }).call(await headers(token));
    expect(response.statusCode).toBe(401);
    expect(challenge(response)).toBe(`DPoP realm="orders-api", error="invalid_dpop_proof", error_description="${description}", ${ALGS}`);
    expect(body(response)).toEqual({ error: 'invalid_dpop_proof', error_description: description });
  });

  it('a replayed proof: the second request is refused', async () => {
    const api = ordersApi({ verifier });
    const headers = dpop(token, await proofFor(token));
    expect((await api.call(headers)).statusCode).toBe(200);
    const replay = await api.call(headers);
    expect(replay.statusCode).toBe(401);
    expect(challenge(replay)).toBe(`DPoP realm="orders-api", error="invalid_dpop_proof", error_description="the DPoP proof was already used", ${ALGS}`);
    expect(api.seen).toHaveLength(1);
  });

  it('a bound token sent as Bearer: 401 Bearer error="invalid_token"', async () => {
    const response = await ordersApi({ verifier }).call({ authorization: `Bearer ${token}`, dpop: await proofFor(token) });
    expect(response.statusCode).toBe(401);
    expect(challenge(response)).toBe(
      'Bearer realm="orders-api", error="invalid_token", error_description="the access token is DPoP-bound: send it with the DPoP scheme and a proof"',
    );
    expect(body(response)).toMatchObject({ error: 'invalid_token' });
  });

  it('a token refused with the DPoP scheme: 401 DPoP error="invalid_token" with algs (not bound, expired)', async () => {
    const api = ordersApi({ verifier });
    const plain = await key.sign(claims(now));
    const unbound = await api.call(dpop(plain, await proofFor(plain)));
    expect(unbound.statusCode).toBe(401);
    expect(challenge(unbound)).toBe(
      `DPoP realm="orders-api", error="invalid_token", error_description="the access token is not DPoP-bound: send it with the Bearer scheme", ${ALGS}`,
    );
    const expired = await key.sign(claims(now - 1000, { cnf: { jkt: client.jkt } }));
    const response = await api.call(dpop(expired, await proofFor(expired)));
    expect(challenge(response)).toBe(`DPoP realm="orders-api", error="invalid_token", error_description="the access token has expired", ${ALGS}`);
  });

  it('a malformed DPoP credential: 400 invalid_request in the DPoP scheme', async () => {
    const response = await ordersApi({ verifier, realm: 'orders' }).call({ authorization: 'DPoP two tokens' });
    expect(response.statusCode).toBe(400);
    expect(challenge(response)).toBe(
      `DPoP realm="orders", error="invalid_request", error_description="the Authorization header is not a valid DPoP credential", ${ALGS}`,
    );
  });

  it('insufficient_scope and step-up answer in the DPoP scheme for a DPoP request', async () => {
    const scoped = await ordersApi({ verifier, requiredScopes: ['orders:read', 'orders:write'] }).call(dpop(token, await proofFor(token)));
    expect(scoped.statusCode).toBe(403);
    expect(challenge(scoped)).toBe(
      `DPoP realm="orders-api", error="insufficient_scope", error_description="the access token lacks a scope this call requires", scope="orders:read orders:write", ${ALGS}`,
    );
    expect(body(scoped)).toMatchObject({ error: 'insufficient_scope', scope: 'orders:read orders:write' });
    const stale = await ordersApi({ verifier, maxAuthAge: 30 }).call(dpop(token, await proofFor(token)));
    expect(stale.statusCode).toBe(401);
    expect(challenge(stale)).toBe(
      `DPoP realm="orders-api", error="insufficient_user_authentication", error_description="a more recent user authentication is required", max_age=30, ${ALGS}`,
    );
  });

  it('takes the method from requestContext.http.method', async () => {
    const api = ordersApi({ verifier });
    expect((await api.call(dpop(token, await proofFor(token, 'POST')), 'POST')).statusCode).toBe(200);
    expect((await api.call(dpop(token, await proofFor(token, 'GET')), 'POST')).statusCode).toBe(401);
  });

  it('requestUrl names the request behind a custom domain with a base path, or on local http', async () => {
    const custom = ordersApi({ verifier, requestUrl: (event) => `https://api.example.com/shop${event.rawPath}` });
    expect((await custom.call(dpop(token, await proofFor(token, 'GET', 'https://api.example.com/shop/orders')))).statusCode).toBe(200);
    expect((await custom.call(dpop(token, await proofFor(token, 'GET', URL_)))).statusCode).toBe(401);
    const local = ordersApi({ verifier, requestUrl: (event) => `http://127.0.0.1:3000${event.rawPath}` });
    expect((await local.call(dpop(token, await proofFor(token, 'GET', 'http://127.0.0.1:3000/orders')))).statusCode).toBe(200);
  });

  it('a failing replay store: 503 with Retry-After and no challenge', async () => {
    const dpopReplayStore: DpopReplayStore = { firstUse: async () => Promise.reject(new Error('throttled')) };
    const failing = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, dpopReplayStore });
    const response = await ordersApi({ verifier: failing }).call(dpop(token, await proofFor(token)));
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5' });
    expect(challenge(response)).toBeUndefined();
    expect(response.body).not.toContain('throttled');
  });

  it('validates requestUrl, and lets a throwing requestUrl propagate as the caller’s mistake', async () => {
    expect(() => lifespanAuth({ verifier, requestUrl: 'https://api.example.com' as never })).toThrow(TypeError);
    const broken = ordersApi({ verifier, requestUrl: () => '/orders' });
    await expect(broken.call(dpop(token, await proofFor(token)))).rejects.toThrow(TypeError);
  });

  it('fuzz: any DPoP header with a bound token gets 401 invalid_dpop_proof and never reaches the handler', async () => {
    const api = ordersApi({ verifier });
    const genuine = await proofFor(token);
    // Used once here, so that the fuzzer reassembling it finds a replay.
    expect((await api.call(dpop(token, genuine))).statusCode).toBe(200);
    const [h, p, s] = genuine.split('.') as [string, string, string];
    const proof = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[A-Za-z0-9_.-]{0,120}$/),
      fc.tuple(fc.constantFrom(h, p, s, ''), fc.constantFrom(h, p, s, ''), fc.constantFrom(h, p, s, '', 'AAAA')).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(proof, async (value) => {
        const response = await api.call(dpop(token, value));
        expect(response.statusCode).toBe(401);
        expect(challenge(response)).toMatch(new RegExp(`^DPoP realm="orders-api", error="invalid_dpop_proof", error_description="[^"]+", ${ALGS}$`));
        expect(() => body(response)).not.toThrow();
      }),
      { numRuns: 150 },
    );
    expect(api.seen).toHaveLength(1);
  });
});

/** The default URL, for a stage deployed under its name on the execute-api endpoint (rawPath carries the stage). */
describe('lifespanAuth default request URL', () => {
  it('is https://{domainName}{rawPath}', async () => {
    const key = await signingKey('ES256');
    const client = await dpopKey('ES256');
    const now = Math.floor(Date.now() / 1000);
    const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: new JwksServer([key.jwk]).fetch, clock: new ManualClock(now * 1000) });
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    const { handler } = ordersApi({ verifier });
    const event: APIGatewayProxyEventV2 = apiEvent({ path: '/prod/orders', headers: { authorization: `DPoP ${token}` }, query: 'page=2' });
    event.requestContext.domainName = 'abc123.execute-api.eu-west-1.amazonaws.com';
    event.headers['dpop'] = await client.proof({ method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders', token, iat: now });
    const response = (await handler(event as LifespanAuthorizedEvent, context)) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(200);
  });
});
