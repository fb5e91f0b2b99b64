import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../../functions/adapters/dynamodb/client-repository.ts';
import { clientRecord } from '../../support/clients.ts';
import { freshTable } from '../../support/dynamodb.ts';

describe('DynamoDbClientRepository', () => {
  let repository: DynamoDbClientRepository;
  beforeAll(async () => {
    const { client, tableName } = await freshTable();
    repository = new DynamoDbClientRepository(client, tableName);
  });

  it('stores a client and reads every field back', async () => {
    const client = clientRecord({
      secretHash: 'hash',
      postLogoutRedirectUris: ['https://app.example.com/bye'],
      audiences: ['orders-api', 'https://api.example.com'],
      scopes: [],
    });
    await repository.create(client);
    expect(await repository.get(client.clientId)).toEqual(client);
  });

  it('keeps a public client without a secret hash', async () => {
    const client = clientRecord({ type: 'public', tokenEndpointAuthMethod: 'none' });
    await repository.create(client);
    const stored = await repository.get(client.clientId);
    expect(stored).toEqual(client);
    expect(stored).not.toHaveProperty('secretHash');
  });

  it('refuses to overwrite an existing client id', async () => {
    const client = clientRecord();
    await repository.create(client);
    await expect(repository.create({ ...client, clientName: 'impostor' })).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await repository.get(client.clientId))?.clientName).toBe('Example');
  });

  it('deletes once, then reports the client absent', async () => {
    const client = clientRecord();
    await repository.create(client);
    expect(await repository.delete(client.clientId)).toBe(true);
    expect(await repository.get(client.clientId)).toBeUndefined();
    expect(await repository.delete(client.clientId)).toBe(false);
  });
});
