import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../../functions/adapters/dynamodb/client-repository.ts';
import { clientRecord } from '../../support/clients.ts';
import { freshTable } from '../../support/dynamodb.ts';

describe('DynamoDbClientRepository', () => {
  let repository: DynamoDbClientRepository;
  let dynamo: Awaited<ReturnType<typeof freshTable>>['client'];
  let table: string;
  beforeAll(async () => {
    const { client, tableName } = await freshTable();
    [dynamo, table] = [client, tableName];
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

  it('keeps require_pkce: false, and reads a client stored before the setting existed as requiring PKCE', async () => {
    const optional = clientRecord({ requirePkce: false });
    await repository.create(optional);
    expect((await repository.get(optional.clientId))?.requirePkce).toBe(false);
    const older = clientRecord();
    await repository.create(older);
    await dynamo.send(
      new UpdateItemCommand({ TableName: table, Key: { pk: { S: `CLIENT#${older.clientId}` }, sk: { S: 'CLIENT' } }, UpdateExpression: 'REMOVE require_pkce' }),
    );
    expect(await repository.get(older.clientId)).toEqual(older);
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
