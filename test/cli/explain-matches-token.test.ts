import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFor, exchangeCode, expectTokens, newClient, newPublicClient, refresh, tokenRequest, uniqueSubject, writeParameters } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

type Explained = Record<string, { value: unknown; source: string }>;

/**
 * The same parameters in (fake) SSM for the CLI and in the local server's parameters file:
 * what `lifespan lifetimes explain` says must be what the token endpoint issues.
 */
describe('lifespan lifetimes explain matches the token endpoint', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  const explain = async (parameters: Record<string, string>, flags: string[]) => {
    const result = await run(['lifetimes', 'explain', '--stage', 'test', ...flags, '--json'], new FakeSsm(stageValues(parameters)));
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Explained;
  };

  it('for a public client and an audience: access and ID token lifetimes', async () => {
    const client = await newPublicClient(service, { audiences: ['payments', 'orders-api'], scopes: ['openid', 'offline_access'] });
    const parameters = {
      access_token_ttl: '600',
      access_token_ttl_browser: '450',
      'audiences/payments/access_token_ttl': '400',
      [`clients/${client.client_id}/id_token_ttl`]: '120',
    };
    await writeParameters(service, parameters);
    const explained = await explain(parameters, ['--client', client.client_id, '--client-type', 'public', '--audience', 'payments']);
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access', resource: 'payments' });
    const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
    expect(explained['access_token_ttl']).toMatchObject({ value: 400, source: 'audience' });
    expect(tokens.expires_in).toBe(explained['access_token_ttl']!.value);
    const id = decodeJwt(tokens.id_token!);
    expect(id.exp! - id.iat!).toBe(explained['id_token_ttl']!.value);
  });

  it('for a confidential client: the client credentials lifetime, and a rejected override held by the guardrail', async () => {
    const client = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: undefined, scopes: ['read'], audiences: ['orders-api'] });
    const parameters = {
      client_credentials_token_ttl: '1800',
      [`clients/${client.client_id}/client_credentials_token_ttl`]: '99999',
      'audiences/orders-api/client_credentials_token_ttl': '900',
    };
    await writeParameters(service, parameters);
    const explained = await explain(parameters, ['--client', client.client_id, '--client-type', 'confidential', '--audience', 'orders-api']);
    const tokens = await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials', scope: 'read' }, client));
    expect(explained['client_credentials_token_ttl']!.value).toBe(900);
    expect(tokens.expires_in).toBe(900);
  });

  it('for a lifetime profile chosen at login: every lifetime the login produces, after a refresh too', async () => {
    const client = await newPublicClient(service, { audiences: ['payments'], scopes: ['openid', 'offline_access'] });
    const parameters = {
      access_token_ttl_browser: '450',
      [`clients/${client.client_id}/id_token_ttl`]: '90',
      [`clients/${client.client_id}/session_idle_ttl`]: '7200',
      'audiences/payments/access_token_ttl': '400',
      'profiles/kiosk/access_token_ttl_browser': '240',
      // Longer than the client's: not used.
      'profiles/kiosk/id_token_ttl': '200',
      'profiles/kiosk/session_idle_ttl': '900',
      'profiles/kiosk/session_absolute_ttl': '5400',
      'profiles/kiosk/refresh_token_idle_ttl': '1200',
      'profiles/kiosk/refresh_token_absolute_ttl': '86400',
    };
    await writeParameters(service, parameters);
    const explained = await explain(parameters, ['--client', client.client_id, '--client-type', 'public', '--audience', 'payments', '--profile', 'kiosk']);
    expect(explained['access_token_ttl']).toEqual({ value: 240, source: 'profile' });
    expect(explained['id_token_ttl']).toEqual({ value: 90, source: 'client' });

    const subject = uniqueSubject('kiosk');
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access', resource: 'payments' }, { subject, lifetime_profile: 'kiosk' });
    const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
    expect(tokens.expires_in).toBe(explained['access_token_ttl']!.value);
    const id = decodeJwt(tokens.id_token!);
    expect(id.exp! - id.iat!).toBe(explained['id_token_ttl']!.value);

    const family = (await (await service.admin(`/admin/families/${String(decodeJwt(tokens.access_token)['fid'])}`)).json()) as Record<string, number>;
    expect(family['expires_at']! - family['last_used_at']!).toBe(explained['refresh_token_idle_ttl']!.value);
    expect(family['absolute_expires_at']! - family['created_at']!).toBe(explained['refresh_token_absolute_ttl']!.value);
    const { sessions } = (await (await service.admin(`/admin/users/${subject}/sessions`)).json()) as { sessions: Array<Record<string, number>> };
    expect(sessions[0]!['expires_at']! - sessions[0]!['last_seen_at']!).toBe(explained['session_idle_ttl']!.value);

    const refreshed = await expectTokens(await refresh(service, client, tokens.refresh_token!, { resource: 'payments' }));
    expect(refreshed.expires_in).toBe(explained['access_token_ttl']!.value);
  });
});
