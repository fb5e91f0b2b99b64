import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLoginRequestStore } from '../../../functions/adapters/dynamodb/login-request-store.ts';
import type { LoginRequest } from '../../../functions/oauth/sessions/login-request.ts';
import { freshTable } from '../../support/dynamodb.ts';

describe('DynamoDbLoginRequestStore', () => {
  let store: DynamoDbLoginRequestStore;
  let dynamo: Awaited<ReturnType<typeof freshTable>>['client'];
  let table: string;
  beforeAll(async () => {
    const { client, tableName } = await freshTable();
    [dynamo, table] = [client, tableName];
    store = new DynamoDbLoginRequestStore(client, tableName);
  });

  const now = Math.floor(Date.now() / 1000);
  const login = (request: Partial<LoginRequest['request']>): LoginRequest => ({
    request: { clientId: 'c', redirectUri: 'https://app.example.com/cb', scope: ['openid'], audience: 'a', ...request },
    status: 'pending',
    csrfHash: 'h',
    createdAt: now,
    expiresAt: now + 900,
  });

  it('keeps every OIDC parameter of the request', async () => {
    const stored = login({
      prompt: ['login', 'consent'],
      maxAge: 0,
      loginHint: 'ada',
      acrValues: ['urn:mfa'],
      uiLocales: ['fr'],
      claimsLocales: ['de'],
      display: 'wap',
      claims: { userinfo: { name: null } },
      idTokenHintClaims: { sub: 'ada', aud: 'c' },
    });
    await store.create('one', stored);
    expect(await store.get('one')).toEqual(stored);
  });

  it('reads a request stored when prompt was a single value as a list of one', async () => {
    await store.create('legacy', login({}));
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'LOGIN#legacy' }, sk: { S: 'LOGIN' } },
        UpdateExpression: 'SET #request = :request',
        ExpressionAttributeNames: { '#request': 'request' },
        ExpressionAttributeValues: { ':request': { S: JSON.stringify({ ...login({}).request, prompt: 'login' }) } },
      }),
    );
    expect((await store.get('legacy'))?.request.prompt).toEqual(['login']);
  });
});
