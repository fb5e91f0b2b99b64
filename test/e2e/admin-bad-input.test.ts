import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrationBody } from '../support/clients.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

describe('admin API under bad input', () => {
  let service: TestServer;
  const dynamo = localDynamoClient();
  // What requests stored: not the events function's record of the events it published (written behind them).
  const itemCount = async () =>
    (
      await dynamo.send(
        new ScanCommand({
          TableName: service.tableName,
          Select: 'COUNT',
          ConsistentRead: true,
          FilterExpression: 'NOT begins_with(pk, :published)',
          ExpressionAttributeValues: { ':published': { S: 'PUBLISHED#' } },
        }),
      )
    ).Count ?? 0;

  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  const post = (body: string | Uint8Array, contentType: string) =>
    service.admin('/admin/clients', { method: 'POST', headers: { 'content-type': contentType }, body });

  const expectOAuthError = async (response: Response, statuses: number[]) => {
    expect(statuses).toContain(response.status);
    const body = (await response.json()) as Record<string, unknown>;
    expect(typeof body['error']).toBe('string');
    expect(typeof body['error_description']).toBe('string');
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  };

  it.each([
    ['malformed JSON', '{"client_name":', 'application/json', 400],
    ['a JSON array', '[]', 'application/json', 400],
    ['a form body', 'client_name=x&type=public', 'application/x-www-form-urlencoded', 415],
    ['no content type', JSON.stringify(registrationBody()), '', 415],
    ['text/plain', JSON.stringify(registrationBody()), 'text/plain', 415],
    ['unknown fields', JSON.stringify(registrationBody({ is_admin: true })), 'application/json', 400],
    ['a wrong type', JSON.stringify(registrationBody({ redirect_uris: 'https://x.example/cb' })), 'application/json', 400],
    ['a number as name', JSON.stringify(registrationBody({ client_name: 7 })), 'application/json', 400],
    ['a __proto__ key', '{"__proto__":{"type":"public"},"client_name":"x"}', 'application/json', 400],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', 400],
  ])('refuses %s with a clear error and stores nothing', async (_why, body, contentType, status) => {
    const before = await itemCount();
    await expectOAuthError(await post(body, contentType), [status]);
    expect(await itemCount()).toBe(before);
  });

  it('refuses an oversized body with 413 and stores nothing', async () => {
    const before = await itemCount();
    const body = JSON.stringify(registrationBody({ client_name: 'x'.repeat(70 * 1024) }));
    await expectOAuthError(await post(body, 'application/json'), [413]);
    expect(await itemCount()).toBe(before);
  });

  it('answers any JSON body with 201 or a known 4xx error, never a 500, and stores only what it accepted', async () => {
    const field = fc.oneof(
      fc.constantFrom('client_name', 'type', 'redirect_uris', 'grant_types', 'scopes', 'audiences', 'token_endpoint_auth_method'),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('public', 'confidential', 'https://a.example/cb', ['https://a.example/cb'], ['client_credentials']),
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(field, value, { maxKeys: 8 }), async (body) => {
        const before = await itemCount();
        const response = await post(JSON.stringify({ ...registrationBody(), ...body }), 'application/json');
        if (response.status === 201) {
          expect(await itemCount()).toBe(before + 1);
          return;
        }
        await expectOAuthError(response, [400]);
        expect(await itemCount()).toBe(before);
      }),
      { numRuns: 60 },
    );
  });

  it('answers garbage path parameters with 404', async () => {
    for (const id of ['%00', '..%2F..', 'a'.repeat(200), '%E0%A4%A']) {
      const response = await service.admin(`/admin/clients/${id}`);
      expect(response.status).toBe(404);
    }
  });
});
