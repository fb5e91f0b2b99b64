import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type FetchLike, type VerifierOptions } from '../../functions/verifier/index.ts';
import { basic, newClient, writeParameters, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { userTokens } from './local-server-suite.ts';
import { expectRefused, ManualClock, split } from './support.ts';

describe('online mode: introspection after local verification', () => {
  let service: TestServer;
  let app: TestClient;
  let resourceServer: TestClient;
  let introspections = 0;
  const countingFetch: FetchLike = (url, init) => {
    if (url.endsWith('/introspect')) introspections += 1;
    return fetch(url, init);
  };
  const onlineVerifier = (clock: ManualClock, overrides: Partial<NonNullable<VerifierOptions['online']>> = {}) =>
    createVerifier({
      issuer: service.url,
      audience: 'orders-api',
      fetch: countingFetch,
      clock,
      online: {
        introspectionEndpoint: `${service.url}/introspect`,
        clientId: resourceServer.client_id,
        clientSecret: resourceServer.client_secret!,
        ...overrides,
      },
    });
  const revoke = async (token: string) => {
    const response = await fetch(`${service.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.client_id, app.client_secret!) },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
  };
  const counted = async (action: () => Promise<unknown>): Promise<number> => {
    const before = introspections;
    await action();
    return introspections - before;
  };

  beforeAll(async () => {
    service = await startTestServer();
    // The issuer's own introspection cache would hide a revocation for up to 60 s; this file tests ours.
    await writeParameters(service, { introspection_cache_ttl: 0 });
    app = await newClient(service);
    resourceServer = await newClient(service, { client_name: 'orders api', grant_types: ['client_credentials'], redirect_uris: [], scopes: ['openid'], audiences: ['orders-api'] });
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('accepts an active token, caches the answer, and shares one request among concurrent checks', async () => {
    const { access_token: token } = await userTokens(service, app);
    const clock = new ManualClock();
    const verifier = onlineVerifier(clock);
    expect(await counted(() => Promise.all(Array.from({ length: 10 }, () => verifier.verify(token))))).toBe(1);
    expect(await counted(() => verifier.verify(token))).toBe(0);
    clock.advance(29);
    expect(await counted(() => verifier.verify(token))).toBe(0);
    clock.advance(2);
    expect(await counted(() => verifier.verify(token))).toBe(1);
  });

  it('refuses a revoked token as token_revoked, and caches that too', async () => {
    const { access_token: token } = await userTokens(service, app);
    await revoke(token);
    const verifier = onlineVerifier(new ManualClock());
    expect(await counted(() => expectRefused(verifier.verify(token), 'token_revoked', token))).toBe(1);
    expect(await counted(() => expectRefused(verifier.verify(token), 'token_revoked'))).toBe(0);
    // Offline, the same token still verifies: that gap is what online mode closes.
    await createVerifier({ issuer: service.url, audience: 'orders-api' }).verify(token);
  });

  it('the trade-off: a revocation shows once the cached answer ends (cacheTtlSeconds)', async () => {
    const { access_token: token } = await userTokens(service, app);
    const clock = new ManualClock();
    const verifier = onlineVerifier(clock, { cacheTtlSeconds: 10 });
    await verifier.verify(token);
    await revoke(token);
    await verifier.verify(token);
    clock.advance(10);
    await expectRefused(verifier.verify(token), 'token_revoked');
  });

  it('cacheTtlSeconds 0 asks every time', async () => {
    const { access_token: token } = await userTokens(service, app);
    const verifier = onlineVerifier(new ManualClock(), { cacheTtlSeconds: 0 });
    expect(await counted(() => verifier.verify(token))).toBe(1);
    expect(await counted(() => verifier.verify(token))).toBe(1);
  });

  it('never caches past the token’s exp', async () => {
    const { access_token: token } = await userTokens(service, app);
    const exp = split(token).payload['exp'] as number;
    const clock = new ManualClock((exp - 5) * 1000);
    const verifier = onlineVerifier(clock);
    expect(await counted(() => verifier.verify(token))).toBe(1);
    // Past exp but within the 30 s clock tolerance: still valid locally, and asked again.
    clock.set((exp + 10) * 1000);
    expect(await counted(() => verifier.verify(token))).toBe(1);
  });

  it('fails closed: an introspection error refuses the token as introspection_unavailable', async () => {
    const { access_token: token } = await userTokens(service, app);
    await expectRefused(onlineVerifier(new ManualClock(), { clientSecret: 'wrong secret' }).verify(token), 'introspection_unavailable', token);
    await expectRefused(onlineVerifier(new ManualClock(), { introspectionEndpoint: 'http://127.0.0.1:9/introspect' }).verify(token), 'introspection_unavailable', token);
  });
});
