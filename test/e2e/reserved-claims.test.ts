import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbProfileStore } from '../../functions/adapters/dynamodb/profile-store.ts';
import { Browser } from '../support/browser.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import {
  acceptRaw,
  authorizationRequest,
  expectLoginChallenge,
  loginTokens,
  newClient,
  newPublicClient,
  uniqueSubject,
  userinfoRequest,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** What the server asserts: a login app's `claims` must never set them. */
const PROTOCOL_CLAIMS = [
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'typ', 'nonce', 'at_hash', 'sid', 'auth_time', 'acr', 'amr', 'azp', 'cnf',
];

/** The login app's `claims` at accept (login and device): protocol claims are refused, naming the claim. */
describe('claims the login app may not set', () => {
  let service: TestServer;
  let web: TestClient;
  let tv: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    [web, tv] = await Promise.all([
      newClient(service, { scopes: ['openid', 'profile', 'offline_access'] }),
      newPublicClient(service, { grant_types: [DEVICE_GRANT], redirect_uris: undefined, scopes: ['openid'] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const expectRefusal = async (response: Response, claim: string) => {
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 400 });
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
    expect(body['error']).toBe('invalid_request');
    expect(body['error_description']).toContain(claim);
  };

  it.each(PROTOCOL_CLAIMS)('login accept with claims.%s: 400 invalid_request naming it, and the challenge is still pending', async (claim) => {
    const request = await authorizationRequest(service, web, { scope: 'openid profile' });
    const { challenge } = await expectLoginChallenge(new Browser(), request.url);
    await expectRefusal(await acceptRaw(service, challenge, { subject: 'alice', claims: { name: 'Alice', [claim]: 'forged' } }), claim);
    const accepted = await acceptRaw(service, challenge, { subject: 'alice', claims: { name: 'Alice' } });
    expect(accepted.status).toBe(200);
  });

  it('several at once are all named', async () => {
    const request = await authorizationRequest(service, web, { scope: 'openid profile' });
    const { challenge } = await expectLoginChallenge(new Browser(), request.url);
    const response = await acceptRaw(service, challenge, { subject: 'alice', claims: { sub: 'root', cnf: {}, email: 'a@example.com' } });
    const { error_description: description } = (await response.json()) as { error_description: string };
    expect(response.status).toBe(400);
    expect(description).toContain('sub');
    expect(description).toContain('cnf');
    expect(description).not.toContain('email');
  });

  it.each(PROTOCOL_CLAIMS)('device accept with claims.%s: 400 invalid_request naming it, and the request is still pending', async (claim) => {
    const started = await fetch(`${service.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.client_id, scope: 'openid' }).toString(),
    });
    const { user_code: userCode } = (await started.json()) as { user_code: string };
    const acceptDevice = (body: unknown) =>
      service.admin(`/admin/device-requests/${userCode}/accept`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await expectRefusal(await acceptDevice({ subject: 'alice', claims: { [claim]: 'forged' } }), claim);
    expect((await acceptDevice({ subject: 'alice', claims: { name: 'Alice' } })).status).toBe(200);
  });

  it('userinfo answers the token’s sub even when a stored profile (from before the refusal) holds one', async () => {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, web, { params: { scope: 'openid profile' }, accept: { subject, claims: { name: 'Alice' } } });
    await new DynamoDbProfileStore(localDynamoClient(), service.tableName).put(subject, { sub: 'mallory', name: 'Alice' }, Math.floor(Date.now() / 1000));
    const response = await userinfoRequest(service, tokens.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: subject, name: 'Alice' });
  });
});
