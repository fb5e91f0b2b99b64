import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFor, exchangeCode, expectTokens, newClient, newPublicClient, tokenRequest, writeParameters } from '../support/flows.ts';
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
});
