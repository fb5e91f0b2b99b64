import { describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../functions/adapters/dynamodb/client-repository.ts';
import { tokenRoutes } from '../../functions/handlers/token-routes.ts';
import { lambdaHandler } from '../../functions/http/handler.ts';
import { CachedClientRepository } from '../../functions/oauth/clients/cached-client-repository.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { clientRecord } from '../support/clients.ts';
import { dpopKey, proof } from '../support/dpop.ts';
import { tokenEvent } from '../support/events.ts';
import { countCalls, grantFixture } from '../support/grant-fixture.ts';

describe('POST /token call budget', () => {
  it('a refresh makes exactly one write: the family read, then the conditional write, once the client is cached', async () => {
    const f = await grantFixture();
    const secret = 'a'.repeat(43);
    const client = { ...f.client, secretHash: hashSecret(secret) };
    await f.clients.delete(f.client.clientId);
    await f.clients.create(client);
    const calls = countCalls(f.dynamo);
    const cached = new CachedClientRepository(new DynamoDbClientRepository(f.dynamo, f.tableName), f.clock);
    const handler = lambdaHandler(tokenRoutes({ clients: () => cached, grants: () => f.deps, metrics: () => f.metrics, nonces: () => f.nonces }), { logger: memoryLogger() });
    const send = async (refreshToken: string, dpop?: string) => {
      const event = tokenEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }, { clientId: client.clientId, secret });
      if (dpop !== undefined) event.headers['dpop'] = dpop;
      const response = await handler(event, {} as never);
      const result = response as { statusCode: number; body: string };
      expect(result.statusCode, result.body).toBe(200);
      return JSON.parse(result.body) as { refresh_token: string };
    };
    calls.length = 0;
    const issued = await f.issue();
    const warm = await send(issued.refresh_token!);
    // The exchange loads the markers and the first refresh reads the client; those reads are what the caches save.
    expect(calls).toEqual(expect.arrayContaining(['GetItemCommand', 'QueryCommand', 'UpdateItemCommand']));
    calls.length = 0;
    const next = await send(warm.refresh_token);
    // The write comes last: the response is signed before anything is committed. The markers
    // are read afresh on every refresh (no cache window), beside the signature.
    expect(calls).toEqual(['GetItemCommand', 'BatchGetItemCommand', 'UpdateItemCommand']);
    calls.length = 0;
    const last = await send(next.refresh_token);
    expect(calls).toEqual(['GetItemCommand', 'BatchGetItemCommand', 'UpdateItemCommand']);
    // With a DPoP proof (RFC 9449): still the one write — the proof's jti rides on it (no replay put).
    const key = await dpopKey();
    calls.length = 0;
    await send(last.refresh_token, await proof(key, 'POST', 'https://auth.example.com/token'));
    expect(calls).toEqual(['GetItemCommand', 'BatchGetItemCommand', 'UpdateItemCommand']);
  });

  it('client credentials with a DPoP proof make one conditional put (the proof record), nothing else', async () => {
    const f = await grantFixture();
    const secret = 'b'.repeat(43);
    const m2m = clientRecord({ grantTypes: ['client_credentials'], redirectUris: [], scopes: ['read'], secretHash: hashSecret(secret) });
    await f.clients.create(m2m);
    const cached = new CachedClientRepository(new DynamoDbClientRepository(f.dynamo, f.tableName), f.clock);
    const handler = lambdaHandler(tokenRoutes({ clients: () => cached, grants: () => f.deps, metrics: () => f.metrics, nonces: () => f.nonces }), { logger: memoryLogger() });
    const key = await dpopKey();
    const send = async () => {
      const event = tokenEvent({ grant_type: 'client_credentials' }, { clientId: m2m.clientId, secret });
      event.headers['dpop'] = await proof(key, 'POST', 'https://auth.example.com/token');
      const result = (await handler(event, {} as never)) as { statusCode: number; body: string };
      expect(result.statusCode, result.body).toBe(200);
    };
    const calls = countCalls(f.dynamo);
    await send();
    calls.length = 0;
    await send();
    expect(calls).toEqual(['PutItemCommand']);
  });
});
