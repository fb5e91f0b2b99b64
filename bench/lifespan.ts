import { closeSync, openSync, writeSync } from 'node:fs';
import { exportJWK } from 'jose';
import { dpopKey, proof, type DpopKey } from '../test/support/dpop.ts';
import { authorizationRequest, expectCodeAtOnce, expectTokens, loginTokens, newClient, tokenRequest, type TestClient } from '../test/support/flows.ts';
import { startTestServer } from '../test/support/local-server.ts';
import { BENCH_PARAMETERS } from './config.ts';
import type { Credentials, Fixtures } from './servers.ts';

/**
 * Lifespan's local server as the tests start it (test/support: the real handlers over
 * DynamoDB Local, a local RS256 key), without the rotation-history poller (in AWS another
 * function reads the stream later; here it would share DynamoDB Local and these two cores).
 * Families are made the way users make them: one login, then a code per family from the SSO
 * session and its exchange at /token (with a DPoP proof for the bound ones).
 */
export async function startLifespan(dynamoDbEndpoint: string, families: number): Promise<Fixtures> {
  // Its log and metric lines are serialized and written, one syscall each, as to Lambda's stdout.
  const sink = openSync('/dev/null', 'a');
  const write = (line: string) => void writeSync(sink, `${line}\n`);
  const service = await startTestServer({ dynamoDbEndpoint, algorithm: 'RS256', parameters: BENCH_PARAMETERS, rotationHistory: false, write });
  const app = await newClient(service, { client_name: 'bench app', grant_types: ['authorization_code', 'refresh_token'] });
  const api = await newClient(service, { client_name: 'bench api', grant_types: ['client_credentials'], scopes: ['orders:read'], redirect_uris: undefined });
  const key = await dpopKey('ES256');
  const { tokens, browser } = await loginTokens(service, app, { accept: { subject: 'bench-user' } });
  const family = async (bound?: DpopKey): Promise<string> => {
    const request = await authorizationRequest(service, app);
    const code = (await expectCodeAtOnce(browser, request, service.url)).searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', code, redirect_uri: app.redirect_uri, code_verifier: request.verifier };
    const headers: Record<string, string> = bound ? { dpop: await proof(bound, 'POST', `${service.url}/token`) } : {};
    return (await expectTokens(await tokenRequest(service, form, app, headers))).refresh_token!;
  };
  const many = async (count: number, bound?: DpopKey) => {
    const made: string[] = [];
    while (made.length < count) made.push(await family(bound));
    return made;
  };
  return {
    url: service.url,
    app: credentials(app),
    api: credentials(api),
    refreshTokens: [tokens.refresh_token!, ...(await many(families - 1))],
    dpopRefreshTokens: await many(families, key),
    dpopKey: await exportJWK(key.privateKey),
    floorTokens: await many(families),
    tableName: service.tableName,
    close: async () => {
      await service.server.close();
      closeSync(sink);
    },
  };
}

function credentials(client: TestClient): Credentials {
  if (client.client_secret === undefined) throw new Error(`${client.client_id} has no secret`);
  return { client_id: client.client_id, client_secret: client.client_secret };
}
