import { describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../functions/adapters/dynamodb/client-repository.ts';
import { tokenRoutes } from '../../functions/handlers/token-routes.ts';
import { lambdaHandler } from '../../functions/http/handler.ts';
import { CachedClientRepository } from '../../functions/oauth/clients/cached-client-repository.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
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
    const send = async (refreshToken: string) => {
      const response = await handler(
        tokenEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }, { clientId: client.clientId, secret }),
        {} as never,
      );
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
    await send(next.refresh_token);
    expect(calls).toEqual(['GetItemCommand', 'BatchGetItemCommand', 'UpdateItemCommand']);
  });
});
