import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createVerifier, DpopKeyMismatch, lifespanAuth, WrongTokenScheme, type LifespanAuthorizedEvent } from '../../functions/verifier/index.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { claimsOf, dpopKey, proof, type DpopKey } from '../support/dpop.ts';
import {
  clientForm,
  codeFor,
  discover,
  expectTokenError,
  expectTokens,
  newClient,
  newPublicClient,
  tokenRequest,
  writeParameters,
  type TestClient,
  type Tokens,
} from '../support/flows.ts';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>;
const rp = (client: TestClient): oauth.Client => ({ client_id: client.client_id });

describe('DPoP (RFC 9449) end to end', () => {
  describe('a thief without the key, or with a captured request, can neither use nor end the session', () => {
    /** A public client's DPoP login: the client, the key and the first tokens. */
    const boundLogin = async (subject: string) => {
      const client = await newPublicClient(service);
      const key = await dpopKey();
      const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' }, { subject });
      const exchange = { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier };
      const tokens = await expectTokens(await tokenRequest(service, exchange, client, { dpop: await proof(key, 'POST', tokenUrl) }));
      return { client, key, tokens, exchange };
    };
    const refreshBound = (client: TestClient, key: DpopKey, refreshToken: string, dpop?: string) =>
      (dpop !== undefined ? Promise.resolve(dpop) : proof(key, 'POST', tokenUrl)).then((value) =>
        tokenRequest(service, { grant_type: 'refresh_token', refresh_token: refreshToken }, client, { dpop: value }),
      );

    it('/revoke of a bound refresh token by a public client needs a proof of its key; without one nothing is revoked', async () => {
      const { client, key, tokens } = await boundLogin('dpop-revoke');
      const revoke = (headers: Record<string, string>) => clientForm(service, '/revoke', { token: tokens.refresh_token! }, client, headers);
      await expectTokenError(await revoke({}), 400, 'invalid_dpop_proof');
      const other = await dpopKey();
      await expectTokenError(await revoke({ dpop: await proof(other, 'POST', `${service.url}/revoke`) }), 400, 'invalid_dpop_proof');
      // Still alive: the owner refreshes.
      const next = await expectTokens(await refreshBound(client, key, tokens.refresh_token!));
      // The owner revokes with a proof for /revoke.
      const owner = await clientForm(service, '/revoke', { token: next.refresh_token! }, client, { dpop: await proof(key, 'POST', `${service.url}/revoke`) });
      expect(owner.status).toBe(200);
      await expectTokenError(await refreshBound(client, key, next.refresh_token!), 400, 'invalid_grant');
    });

    it('a code redeemed with a proof, replayed without one or with another key: invalid_grant, and its family is not revoked', async () => {
      const { client, key, tokens, exchange } = await boundLogin('dpop-code-replay');
      await expectTokenError(await tokenRequest(service, exchange, client), 400, 'invalid_grant');
      const other = await dpopKey();
      await expectTokenError(await tokenRequest(service, exchange, client, { dpop: await proof(other, 'POST', tokenUrl) }), 400, 'invalid_grant');
      await expectTokens(await refreshBound(client, key, tokens.refresh_token!));
    });

    it('an earlier refresh request replayed after a later one: refused as a replay, not taken for reuse', async () => {
      const { client, key, tokens } = await boundLogin('dpop-older-replay');
      const first = await proof(key, 'POST', tokenUrl);
      const r1 = await expectTokens(await refreshBound(client, key, tokens.refresh_token!, first));
      const r2 = await expectTokens(await refreshBound(client, key, r1.refresh_token!));
      await expectTokenError(await refreshBound(client, key, tokens.refresh_token!, first), 400, 'invalid_dpop_proof');
      await expectTokens(await refreshBound(client, key, r2.refresh_token!));
    });

    it('with rotation off, no proof passes twice (P1, P2, P1 again is refused)', async () => {
      const { client, key, tokens } = await boundLogin('dpop-no-rotation');
      await writeParameters(service, { [`clients/${client.client_id}/refresh_token_rotation`]: false });
      try {
        const p1 = await proof(key, 'POST', tokenUrl);
        const same = (await expectTokens(await refreshBound(client, key, tokens.refresh_token!, p1))).refresh_token!;
        expect(same).toBe(tokens.refresh_token);
        await expectTokens(await refreshBound(client, key, same));
        await expectTokenError(await refreshBound(client, key, same, p1), 400, 'invalid_dpop_proof');
        await expectTokens(await refreshBound(client, key, same));
      } finally {
        await writeParameters(service, {});
      }
    });

    it('a retry within the reuse interval is good once with its proof: the same retry again is refused, the family lives', async () => {
      const { client, key, tokens } = await boundLogin('dpop-retry');
      await writeParameters(service, { [`clients/${client.client_id}/refresh_token_reuse_interval`]: 30 });
      try {
        const rotated = await expectTokens(await refreshBound(client, key, tokens.refresh_token!));
        const retryProof = await proof(key, 'POST', tokenUrl);
        const retried = await expectTokens(await refreshBound(client, key, tokens.refresh_token!, retryProof));
        expect(retried.refresh_token).toBe(rotated.refresh_token);
        await expectTokenError(await refreshBound(client, key, tokens.refresh_token!, retryProof), 400, 'invalid_dpop_proof');
        await expectTokens(await refreshBound(client, key, rotated.refresh_token!));
      } finally {
        await writeParameters(service, {});
      }
    });
  });

  let service: TestServer;
  let as: oauth.AuthorizationServer;
  let tokenUrl: string;
  beforeAll(async () => {
    service = await startTestServer();
    as = await discover(service);
    tokenUrl = `${service.url}/token`;
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A public client's code flow through oauth4webapi with its DPoP handle: the tokens and the handle. */
  async function dpopLogin(client: TestClient, keyPair?: KeyPair): Promise<{ tokens: oauth.TokenEndpointResponse; handle: oauth.DPoPHandle; keyPair: KeyPair }> {
    const pair = keyPair ?? (await oauth.generateKeyPair('ES256'));
    const handle = oauth.DPoP(rp(client), pair);
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access orders:read' }, { subject: 'dpop-user' });
    const callback = new URL(request.redirectUri);
    callback.searchParams.set('code', code);
    callback.searchParams.set('state', request.state);
    callback.searchParams.set('iss', service.url);
    const params = oauth.validateAuthResponse(as, { client_id: client.client_id }, callback, request.state);
    const response = await oauth.authorizationCodeGrantRequest(as, { client_id: client.client_id }, oauth.None(), params, request.redirectUri, request.verifier, {
      DPoP: handle,
      ...insecure,
    });
    const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: client.client_id }, response, { expectedNonce: request.nonce, requireIdToken: true });
    return { tokens, handle, keyPair: pair };
  }

  const refreshWith = async (client: TestClient, refreshToken: string, handle?: oauth.DPoPHandle): Promise<Response> =>
    oauth.refreshTokenGrantRequest(as, { client_id: client.client_id }, oauth.None(), refreshToken, { ...(handle && { DPoP: handle }), ...insecure });

  it('advertises the proof algorithms in discovery', () => {
    expect(as['dpop_signing_alg_values_supported']).toEqual(expect.arrayContaining(['ES256', 'RS256']));
    expect(as['dpop_signing_alg_values_supported']).not.toContain('none');
    expect((as['dpop_signing_alg_values_supported'] as string[]).some((alg) => alg.startsWith('HS'))).toBe(false);
  });

  it('code + PKCE + DPoP: a DPoP token bound to the key, accepted by /userinfo with a proof and refused as a bearer token', async () => {
    const client = await newPublicClient(service);
    const { tokens, handle, keyPair } = await dpopLogin(client);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const jkt = await dpopKeyThumbprint(keyPair);
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ jkt });

    const userinfo = await oauth.userInfoRequest(as, { client_id: client.client_id }, tokens.access_token, { DPoP: handle, ...insecure });
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { sub: string }).sub).toBe('dpop-user');

    const asBearer = await fetch(`${service.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token".*algs="/);
  });

  it('the verifier and its middleware accept the DPoP-bound token Lifespan issued, with a proof of its key, and nothing else', async () => {
    const client = await newPublicClient(service);
    const key = await dpopKey();
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access orders:read' }, { subject: 'dpop-api' });
    const tokens = await expectTokens(
      await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier }, client, {
        dpop: await proof(key, 'POST', tokenUrl),
      }),
    );
    const api = 'https://orders.example.com/orders';
    const verifier = createVerifier({ issuer: service.url, audience: 'orders-api' });
    const claims = await verifier.verify(tokens.access_token, {
      scheme: 'DPoP',
      dpop: { proof: await proof(key, 'GET', api, { accessToken: tokens.access_token }), method: 'GET', url: api },
    });
    expect(claims.cnf).toEqual({ jkt: key.jkt });
    await expect(verifier.verify(tokens.access_token)).rejects.toBeInstanceOf(WrongTokenScheme);
    const other = await dpopKey();
    await expect(
      verifier.verify(tokens.access_token, { scheme: 'DPoP', dpop: { proof: await proof(other, 'GET', api, { accessToken: tokens.access_token }), method: 'GET', url: api } }),
    ).rejects.toBeInstanceOf(DpopKeyMismatch);

    const handler = middy<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2>()
      .use(lifespanAuth({ verifier, requestUrl: () => api }))
      .handler(async (event) => ({ statusCode: 200, body: event.requestContext.authorizer.lifespan.sub }));
    const event = (headers: Record<string, string>) =>
      ({ headers, rawPath: '/orders', requestContext: { http: { method: 'GET' }, domainName: 'orders.example.com' } }) as unknown as LifespanAuthorizedEvent & APIGatewayProxyEventV2;
    const ok = await handler(event({ authorization: `DPoP ${tokens.access_token}`, dpop: await proof(key, 'GET', api, { accessToken: tokens.access_token }) }), {} as never);
    expect(ok).toMatchObject({ statusCode: 200, body: 'dpop-api' });
    const stolen = await handler(event({ authorization: `Bearer ${tokens.access_token}` }), {} as never);
    expect(stolen.statusCode).toBe(401);
  });

  it('refresh with the same key rotates and stays bound; without a proof or with another key it is refused and the family is intact', async () => {
    const client = await newPublicClient(service);
    const { tokens, handle } = await dpopLogin(client);
    const first = await oauth.processRefreshTokenResponse(as, { client_id: client.client_id }, await refreshWith(client, tokens.refresh_token!, handle));
    expect(first.token_type.toLowerCase()).toBe('dpop');
    expect(claimsOf(first.access_token)['cnf']).toEqual(claimsOf(tokens.access_token)['cnf']);

    // A thief with the refresh token alone: no proof.
    await expectTokenError(await refreshWith(client, first.refresh_token!), 400, 'invalid_grant');
    // A thief with a key of their own.
    const thief = oauth.DPoP(rp(client), await oauth.generateKeyPair('ES256'));
    await expectTokenError(await refreshWith(client, first.refresh_token!, thief), 400, 'invalid_grant');
    // Neither revoked the family nor used up the token: the owner refreshes as before.
    const second = await oauth.processRefreshTokenResponse(as, { client_id: client.client_id }, await refreshWith(client, first.refresh_token!, handle));
    expect(second.refresh_token).not.toBe(first.refresh_token);
  });

  it('a replayed proof is refused, at the exchange and at a refresh, and the family survives it', async () => {
    const client = await newPublicClient(service);
    const key = await dpopKey();
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' }, { subject: 'dpop-replay' });
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier };
    const exchangeProof = await proof(key, 'POST', tokenUrl);
    const tokens = await expectTokens(await tokenRequest(service, exchange, client, { dpop: exchangeProof }));
    await expectTokenError(await tokenRequest(service, exchange, client, { dpop: exchangeProof }), 400, 'invalid_dpop_proof');

    const refreshForm = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! };
    const refreshProof = await proof(key, 'POST', tokenUrl);
    const rotated = await expectTokens(await tokenRequest(service, refreshForm, client, { dpop: refreshProof }));
    // The same request again (its proof spent): refused as a replay — not taken for reuse.
    await expectTokenError(await tokenRequest(service, refreshForm, client, { dpop: refreshProof }), 400, 'invalid_dpop_proof');
    await expectTokens(await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token! }, client, { dpop: await proof(key, 'POST', tokenUrl) }));
  });

  it('dpop_jkt at /authorize binds the code: another key or no proof is refused and the code stays usable for the right key', async () => {
    const client = await newPublicClient(service);
    const key = await dpopKey();
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access', dpop_jkt: key.jkt }, { subject: 'dpop-jkt' });
    const form = { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier };
    const other = await dpopKey();
    const mismatch = await expectTokenError(await tokenRequest(service, form, client, { dpop: await proof(other, 'POST', tokenUrl) }), 400, 'invalid_grant');
    expect(mismatch.error_description).toBe('the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client');
    await expectTokenError(await tokenRequest(service, form, client), 400, 'invalid_grant');
    const tokens = await expectTokens(await tokenRequest(service, form, client, { dpop: await proof(key, 'POST', tokenUrl) }));
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ jkt: key.jkt });
  });

  it('a malformed dpop_jkt is refused at /authorize', async () => {
    const client = await newPublicClient(service);
    const { authorizationRequest } = await import('../support/flows.ts');
    const { Browser } = await import('../support/browser.ts');
    const request = await authorizationRequest(service, client, { dpop_jkt: 'not-a-thumbprint' });
    const response = await new Browser().get(request.url);
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('two identical proofed refreshes at once: one succeeds, the other is refused, the family lives', async () => {
    const client = await newPublicClient(service);
    const key = await dpopKey();
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' }, { subject: 'dpop-race' });
    const tokens = await expectTokens(
      await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier }, client, {
        dpop: await proof(key, 'POST', tokenUrl),
      }),
    );
    const same = await proof(key, 'POST', tokenUrl);
    const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! };
    const results = await Promise.all([0, 1, 2, 3].map(() => tokenRequest(service, form, client, { dpop: same })));
    const ok = results.filter((response) => response.status === 200);
    expect(ok).toHaveLength(1);
    const winner = (await ok[0]!.json()) as Tokens;
    for (const response of results.filter((r) => r.status !== 200)) await expectTokenError(response, 400, 'invalid_dpop_proof');
    await expectTokens(await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: winner.refresh_token! }, client, { dpop: await proof(key, 'POST', tokenUrl) }));
  });

  describe('each check of a proof (§4.3) has its refusal', () => {
    let m2m: TestClient;
    let key: DpopKey;
    beforeAll(async () => {
      m2m = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'] });
      key = await dpopKey();
    });
    const send = (dpop: string | string[]) =>
      tokenRequest(service, { grant_type: 'client_credentials' }, m2m, typeof dpop === 'string' ? { dpop } : { dpop: dpop.join(', ') });
    const refusedWith = async (dpop: string | string[], pattern: RegExp) => {
      const body = await expectTokenError(await send(dpop), 400, 'invalid_dpop_proof');
      expect(body.error_description).toMatch(pattern);
    };

    it('accepts a good proof (client credentials are DPoP-bound too) and refuses it replayed', async () => {
      const good = await proof(key, 'POST', tokenUrl);
      const tokens = await expectTokens(await send(good));
      expect(tokens.token_type).toBe('DPoP');
      expect(claimsOf(tokens.access_token)['cnf']).toEqual({ jkt: key.jkt });
      await refusedWith(good, /already used/);
    });

    it('typ must be dpop+jwt', async () => refusedWith(await proof(key, 'POST', tokenUrl, { header: { typ: 'JWT' } }), /typ/));
    it('alg none is refused', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url');
      const claims = Buffer.from(JSON.stringify({ htm: 'POST', htu: tokenUrl, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() })).toString('base64url');
      await refusedWith(`${header}.${claims}.`, /well-formed/);
    });
    it('an HMAC alg is refused', async () => refusedWith(await proof(key, 'POST', tokenUrl, { alg: 'HS256', signWith: new Uint8Array(32).fill(1) }), /asymmetric/));
    it('a private key in jwk is refused', async () => {
      const { exportJWK } = await import('jose');
      await refusedWith(await proof(key, 'POST', tokenUrl, { header: { jwk: await exportJWK(key.privateKey) } }), /public key/);
    });
    it('a signature its jwk does not verify is refused', async () => {
      const other = await dpopKey();
      await refusedWith(await proof(key, 'POST', tokenUrl, { signWith: other.privateKey }), /signature/);
    });
    it('htm must be POST', async () => refusedWith(await proof(key, 'GET', tokenUrl), /htm/));
    it('htu must be this endpoint (query and fragment ignored)', async () => {
      await refusedWith(await proof(key, 'POST', `${service.url}/revoke`), /htu/);
      await expectTokens(await send(await proof(key, 'POST', `${tokenUrl}?x=1#y`)));
    });
    it('iat too old or in the future is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusedWith(await proof(key, 'POST', tokenUrl, { claims: { iat: now - 300 } }), /too old/);
      await refusedWith(await proof(key, 'POST', tokenUrl, { claims: { iat: now + 300 } }), /future/);
    });
    it('jti is required', async () => refusedWith(await proof(key, 'POST', tokenUrl, { claims: { jti: undefined } }), /jti/));
    it('one proof header only', async () => refusedWith([await proof(key, 'POST', tokenUrl), await proof(key, 'POST', tokenUrl)], /exactly one/));
    it('garbage is refused as invalid_dpop_proof, never a 500', async () => {
      for (const junk of ['x', 'a.b.c', '..', `${'a'.repeat(10_000)}.b.c`]) await expectTokenError(await send(junk), 400, 'invalid_dpop_proof');
    });
  });

  it('dpop_nonce_required: use_dpop_nonce with a DPoP-Nonce header, then oauth4webapi retries with it and succeeds', async () => {
    const client = await newPublicClient(service);
    await writeParameters(service, { [`clients/${client.client_id}/dpop_nonce_required`]: true });
    try {
      const pair = await oauth.generateKeyPair('ES256');
      const handle = oauth.DPoP(rp(client), pair);
      const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' }, { subject: 'dpop-nonce' });
      const callback = new URL(request.redirectUri);
      callback.search = new URLSearchParams({ code, state: request.state, iss: service.url }).toString();
      const params = oauth.validateAuthResponse(as, { client_id: client.client_id }, callback, request.state);
      const exchange = () =>
        oauth.authorizationCodeGrantRequest(as, { client_id: client.client_id }, oauth.None(), params, request.redirectUri, request.verifier, { DPoP: handle, ...insecure });
      const first = await exchange();
      expect(first.status).toBe(400);
      expect(first.headers.get('dpop-nonce')).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
      const caught = await oauth.processAuthorizationCodeResponse(as, { client_id: client.client_id }, first).catch((error: unknown) => error);
      expect(oauth.isDPoPNonceError(caught)).toBe(true);
      // The code was not spent by the refused request.
      const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: client.client_id }, await exchange(), { expectedNonce: request.nonce });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      // A forged nonce is refused the same way.
      const key = await dpopKey();
      const forged = await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client, {
        dpop: await proof(key, 'POST', tokenUrl, { claims: { nonce: '0.AAAAAAAAAAAAAAAAAAAAAA' } }),
      });
      await expectTokenError(forged, 400, 'use_dpop_nonce');
    } finally {
      await writeParameters(service, {});
    }
  });

  it('a client registered with dpop_bound_access_tokens must always send a proof', async () => {
    const client = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'], dpop_bound_access_tokens: true });
    const view = await service.admin(`/admin/clients/${client.client_id}`);
    expect(((await view.json()) as Record<string, unknown>)['dpop_bound_access_tokens']).toBe(true);
    await expectTokenError(await tokenRequest(service, { grant_type: 'client_credentials' }, client), 400, 'invalid_dpop_proof');
    const key = await dpopKey();
    expect((await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials' }, client, { dpop: await proof(key, 'POST', tokenUrl) }))).token_type).toBe('DPoP');
  });

  it('a plain bearer flow is unchanged (no proof: token_type Bearer, no cnf)', async () => {
    const m2m = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'] });
    const tokens = await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials' }, m2m));
    expect(tokens.token_type).toBe('Bearer');
    expect(claimsOf(tokens.access_token)['cnf']).toBeUndefined();
  });

  it('introspection answers cnf and token_type DPoP for a bound token', async () => {
    const m2m = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'] });
    const key = await dpopKey();
    const tokens = await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials' }, m2m, { dpop: await proof(key, 'POST', tokenUrl) }));
    const answer = (await (await clientForm(service, '/introspect', { token: tokens.access_token }, m2m)).json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  describe('/userinfo with DPoP (§7)', () => {
    let tokens: oauth.TokenEndpointResponse;
    let key: DpopKey;
    const userinfoUrl = () => `${service.url}/userinfo`;
    beforeAll(async () => {
      const client = await newPublicClient(service);
      key = await dpopKey();
      const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' }, { subject: 'dpop-userinfo' });
      tokens = (await expectTokens(
        await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier }, client, {
          dpop: await proof(key, 'POST', tokenUrl),
        }),
      )) as unknown as oauth.TokenEndpointResponse;
    });
    const get = (headers: Record<string, string>) => fetch(userinfoUrl(), { headers });
    const expectChallenge = async (response: Response, error: string) => {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP realm="lifespan", error="${error}", algs="[^"]*ES256`));
    };

    it('accepts a proof with ath, and refuses the same proof again', async () => {
      const good = await proof(key, 'GET', userinfoUrl(), { accessToken: tokens.access_token });
      expect((await get({ authorization: `DPoP ${tokens.access_token}`, dpop: good })).status).toBe(200);
      await expectChallenge(await get({ authorization: `DPoP ${tokens.access_token}`, dpop: good }), 'invalid_dpop_proof');
    });
    it('refuses a missing proof, a proof without or with a wrong ath, of another key, or for another method', async () => {
      const auth = { authorization: `DPoP ${tokens.access_token}` };
      await expectChallenge(await get(auth), 'invalid_dpop_proof');
      await expectChallenge(await get({ ...auth, dpop: await proof(key, 'GET', userinfoUrl()) }), 'invalid_dpop_proof');
      await expectChallenge(await get({ ...auth, dpop: await proof(key, 'GET', userinfoUrl(), { accessToken: 'another' }) }), 'invalid_dpop_proof');
      const other = await dpopKey();
      await expectChallenge(await get({ ...auth, dpop: await proof(other, 'GET', userinfoUrl(), { accessToken: tokens.access_token }) }), 'invalid_dpop_proof');
      await expectChallenge(await get({ ...auth, dpop: await proof(key, 'POST', userinfoUrl(), { accessToken: tokens.access_token }) }), 'invalid_dpop_proof');
    });
    it('a bearer token sent with the DPoP scheme is refused', async () => {
      const m2m = await newClient(service);
      const { code, request } = await codeFor(service, m2m, { scope: 'openid' }, { subject: 'bearer-user' });
      const plain = await expectTokens(
        await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.verifier }, m2m),
      );
      await expectChallenge(await get({ authorization: `DPoP ${plain.access_token}`, dpop: await proof(key, 'GET', userinfoUrl(), { accessToken: plain.access_token }) }), 'invalid_token');
      expect((await get({ authorization: `Bearer ${plain.access_token}` })).status).toBe(200);
    });
    it('without credentials, the challenge names both schemes', async () => {
      const response = await get({});
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/Bearer realm="lifespan", DPoP realm="lifespan", algs="/);
    });
  });
});

async function dpopKeyThumbprint(pair: KeyPair): Promise<string> {
  const { calculateJwkThumbprint, exportJWK } = await import('jose');
  return calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
}
