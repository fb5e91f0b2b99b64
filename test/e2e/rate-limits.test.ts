import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTokens, loginTokens, newClient, refresh, sleep, tokenRequest, writeParameters } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

describe('rate limits through the local server', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('failed client authentications past the limit get 429 with Retry-After; the right secret still works; the window resets', async () => {
    await writeParameters(service, { client_auth_failure_limit: 3, rate_limit_window: 3 });
    const client = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: undefined, scopes: ['read'] });
    const wrong = { client_id: client.client_id, client_secret: 'not-the-secret' };
    const attempt = () => tokenRequest(service, { grant_type: 'client_credentials' }, wrong);
    // Start at the beginning of a window so the four attempts share it.
    await sleep(3000 - (Date.now() % 3000) + 50);
    for (let i = 0; i < 3; i += 1) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect(await limited.json()).toEqual({ error: 'too_many_requests', error_description: 'too many failed client authentications' });
    expect((await tokenRequest(service, { grant_type: 'client_credentials' }, client)).status).toBe(200);
    await sleep(3100);
    expect((await attempt()).status).toBe(401);
  });

  it('retries of the previous refresh token within the reuse interval count toward refresh_rate_limit; the current token still works', async () => {
    await writeParameters(service, { refresh_token_reuse_interval: 60, refresh_rate_limit: 2, rate_limit_window: 5 });
    const client = await newClient(service);
    const { tokens } = await loginTokens(service, client);
    const current = await expectTokens(await refresh(service, client, tokens.refresh_token!));
    // Start at the beginning of a window so the retries share it.
    await sleep(5000 - (Date.now() % 5000) + 50);
    for (let i = 0; i < 2; i += 1) expect((await expectTokens(await refresh(service, client, tokens.refresh_token!))).refresh_token).toBe(current.refresh_token);
    const limited = await refresh(service, client, tokens.refresh_token!);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toEqual({ error: 'too_many_requests', error_description: 'too many refreshes of this token family' });
    await expectTokens(await refresh(service, client, current.refresh_token!));
  });
});
