import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClient } from '../support/dynamodb.ts';
import { newPublicClient, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Device user codes through the local server: stored under a keyed hash (RFC 8628 §5.1). */
describe('device user codes through the local server', () => {
  let service: TestServer;
  let tv: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    tv = await newPublicClient(service, { grant_types: [DEVICE_GRANT], redirect_uris: undefined, scopes: ['openid'] });
  });
  afterAll(async () => {
    await service.server.close();
  });

  const startDevice = async () => {
    const response = await fetch(`${service.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.client_id, scope: 'openid' }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { device_code: string; user_code: string };
  };
  const describeCode = (userCode: string) => service.admin(`/admin/device-requests/${userCode}`);

  it('the table holds the user code under a keyed hash, never its SHA-256; the admin API finds it', async () => {
    const device = await startDevice();
    const normalised = device.user_code.replace('-', '');
    const { Items = [] } = await localDynamoClient().send(new ScanCommand({ TableName: service.tableName, ConsistentRead: true }));
    const everything = JSON.stringify(Items);
    expect(everything).not.toContain(normalised);
    expect(everything).not.toContain(createHash('sha256').update(normalised).digest('base64url'));
    expect(everything).not.toContain(createHash('sha256').update(normalised).digest('hex'));
    expect(Items.filter((item) => item['pk']!.S!.startsWith('USERCODE#')).length).toBeGreaterThan(0);
    expect((await describeCode(device.user_code)).status).toBe(200);
  });
});
