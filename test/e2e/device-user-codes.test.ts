import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_CODE_FAILURES } from '../../functions/oauth/device/verification.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import { newPublicClient, sleep, tokenRequest, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const WINDOW_MS = USER_CODE_FAILURES.windowSeconds * 1000;

/** Device user codes through the local server: stored under a keyed hash, failed lookups limited (RFC 8628 §5.1). */
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
  const devicePage = (userCode: string) =>
    fetch(`${service.url}/device`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_code: userCode, subject: 'mallory', action: 'accept' }).toString(),
    });
  const describeCode = (userCode: string) => service.admin(`/admin/device-requests/${userCode}`);
  /** Distinct well-formed codes that (but for odds of 1 in 20⁸) no request holds. */
  const guess = (i: number) => `ZZZZ-${'BCDFGHJKLMNPQRSTVWXZ'[i % 20]}${'BCDFGHJKLMNPQRSTVWXZ'[Math.floor(i / 20) % 20]}ZZ`;

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

  it('failed lookups: per address at the device page, then for everyone at the admin API, 429 with Retry-After; right codes work below the limits', async () => {
    // All of it within one counting window (a few seconds of requests).
    if (Date.now() % WINDOW_MS > WINDOW_MS - 15_000) await sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 50);
    const device = await startDevice();
    for (let i = 0; i < USER_CODE_FAILURES.perSource; i += 1) {
      expect((await devicePage(guess(i))).status).toBe(404);
      if (i === 3) expect((await fetch(`${service.url}/device?user_code=${device.user_code}`)).status).toBe(200);
    }
    const limited = await devicePage(guess(99));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.text()).toContain('too many failed user code lookups');
    // The right code from that browser is refused as well: nothing was approved.
    expect((await devicePage(device.user_code)).status).toBe(429);
    const pending = await tokenRequest(service, { grant_type: DEVICE_GRANT, device_code: device.device_code }, tv);
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending' });

    // The login app (no user address) is still served, until everyone's failures reach the global limit.
    expect((await describeCode(device.user_code)).status).toBe(200);
    for (let i = USER_CODE_FAILURES.perSource; i < USER_CODE_FAILURES.total; i += 1) expect((await describeCode(guess(i))).status).toBe(404);
    const everyone = await describeCode(device.user_code);
    expect(everyone.status).toBe(429);
    expect(Number(everyone.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await everyone.json()).toEqual({ error: 'too_many_requests', error_description: 'too many failed user code lookups: wait and try again' });
    const accept = await service.admin(`/admin/device-requests/${device.user_code}/accept`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'alice' }),
    });
    expect(accept.status).toBe(429);
  }, 60_000);
});
