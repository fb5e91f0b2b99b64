import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmacUserCodeKeys } from '../../../functions/adapters/local/local-successor-deriver.ts';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { authorizeDevice } from '../../../functions/oauth/device/authorization.ts';
import { normaliseUserCode, type UserCodeKeys } from '../../../functions/oauth/device/user-code.ts';
import {
  acceptDeviceRequest,
  describeDeviceRequest,
  rejectDeviceRequest,
  USER_CODE_FAILURES,
  type Lookup,
} from '../../../functions/oauth/device/verification.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusal } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';


/** A well-formed user code, distinct for each `i` (that one belongs to a request: odds of 1 in 20⁸). */
const unknownCode = (i: number) => `BCDF${'BCDFGHJKLMNPQRSTVWXZ'[i % 20]}${'BCDFGHJKLMNPQRSTVWXZ'[Math.floor(i / 20) % 20]}HJ`;

describe('device user codes', () => {
  let f: Fixture;
  let client: Client;
  beforeEach(async () => {
    f = await grantFixture();
    client = clientRecord({ grantTypes: [DEVICE_GRANT], scopes: ['openid', 'read'], audiences: ['api'] });
    await f.clients.create(client);
    // Each test starts at the beginning of a counting window; the clock moves only when told.
    f.clock.advance(USER_CODE_FAILURES.windowSeconds - (f.clock.seconds % USER_CODE_FAILURES.windowSeconds));
  });

  const start = (userCodes: UserCodeKeys = f.userCodes) =>
    authorizeDevice({ ...f.deps, verificationUri: 'https://login.example.com/device', userCodes }, client, new Map([['scope', 'read']]));
  const verification = (userCodes: UserCodeKeys = f.userCodes) => ({
    clock: f.clock,
    clients: f.clients,
    devices: f.deps.devices,
    userCodes,
    rates: f.deps.rates,
    metrics: f.metrics,
  });
  const describeCode = (userCode: string, lookup: Lookup = {}, userCodes?: UserCodeKeys) =>
    describeDeviceRequest(verification(userCodes), userCode, lookup);
  const pointers = async () => {
    const { Items = [] } = await f.dynamo.send(new ScanCommand({ TableName: f.tableName, ConsistentRead: true }));
    return Items.map((item) => item['pk']!.S!).filter((pk) => pk.startsWith('USERCODE#'));
  };

  describe('are stored under a keyed hash (RFC 8628 §5.1: 34.5 bits are quickly tried from a table dump)', () => {
    it('the pointer is an HMAC under the server key, not sha256 of the user code; lookups still work', async () => {
      const device = await start();
      const userCode = normaliseUserCode(device.user_code)!;
      expect(await pointers()).toEqual([`USERCODE#${await f.userCodes.keyOf(userCode)}`]);
      expect(await pointers()).not.toContain(`USERCODE#${hashSecret(userCode)}`);
      expect(await describeCode(device.user_code)).toMatchObject({ user_code: device.user_code, requested_scope: ['read'] });
    });

    it('two deployments with different keys store the same code under different keys, and neither finds the other’s', async () => {
      const other = new HmacUserCodeKeys(randomBytes(32));
      expect(await other.keyOf('BCDFGHJK')).not.toBe(await f.userCodes.keyOf('BCDFGHJK'));
      const ours = await start();
      const theirs = await start(other);
      expect(await describeCode(ours.user_code)).toMatchObject({ user_code: ours.user_code });
      expect(await describeCode(theirs.user_code, {}, other)).toMatchObject({ user_code: theirs.user_code });
      expect((await refusal(describeCode(ours.user_code, {}, other))).code).toBe('not_found');
      expect((await refusal(describeCode(theirs.user_code))).code).toBe('not_found');
    });
  });

  describe('failed lookups are rate limited (RFC 8628 §5.1)', () => {
    it(`per source: ${USER_CODE_FAILURES.perSource} failures, then 429 with Retry-After for any code from it, right ones too; other sources go on`, async () => {
      const device = await start();
      const browser = { source: '203.0.113.7' };
      for (let i = 0; i < USER_CODE_FAILURES.perSource; i += 1) {
        if (i === 5) expect(await describeCode(device.user_code, browser)).toMatchObject({ user_code: device.user_code });
        expect((await refusal(describeCode(unknownCode(i), browser))).code).toBe('not_found');
      }
      const limited = await refusal(describeCode(unknownCode(99), browser));
      expect(limited).toMatchObject({ code: 'too_many_requests', status: 429 });
      expect(Number(limited.headers['Retry-After'])).toBe(USER_CODE_FAILURES.windowSeconds);
      // The right code is refused too from there, and nothing changes.
      expect((await refusal(acceptDeviceRequest(verification(), device.user_code, { subject: 'mallory' }, browser))).status).toBe(429);
      expect((await refusal(rejectDeviceRequest(verification(), device.user_code, {}, browser))).status).toBe(429);
      expect((await refusal(describeCode(device.user_code, browser))).status).toBe(429);
      expect(f.metrics.points).toContainEqual(expect.objectContaining({ name: 'RateLimited', dimensions: { Limit: 'user_code_failures' } }));
      // Another address, and the login app's calls (no source), are not limited by it.
      expect(await describeCode(device.user_code, { source: '198.51.100.1' })).toMatchObject({ user_code: device.user_code });
      expect(await acceptDeviceRequest(verification(), device.user_code, { subject: 'alice' })).toEqual({ status: 'accepted' });
    });

    it(`globally: ${USER_CODE_FAILURES.total} failures from anywhere, then every lookup is 429 until the window ends`, async () => {
      const device = await start();
      for (let i = 0; i < USER_CODE_FAILURES.total; i += 1) {
        // Malformed codes count as failed lookups too.
        const typed = i % 10 === 0 ? 'not a code' : unknownCode(i);
        expect((await refusal(describeCode(typed, i % 2 === 0 ? {} : { source: `192.0.2.${i}` }))).code).toBe('not_found');
      }
      expect((await refusal(describeCode(unknownCode(500)))).status).toBe(429);
      const limited = await refusal(acceptDeviceRequest(verification(), device.user_code, { subject: 'alice' }));
      expect(limited).toMatchObject({ code: 'too_many_requests', status: 429 });
      expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0);
      f.clock.advance(Number(limited.headers['Retry-After']));
      expect(await acceptDeviceRequest(verification(), device.user_code, { subject: 'alice' })).toEqual({ status: 'accepted' });
    });

    it('a bad accept body is a 400 and not a failed lookup; accept, reject and describe all count', async () => {
      const device = await start();
      const browser = { source: '203.0.113.9' };
      for (let i = 0; i < 20; i += 1) {
        expect((await refusal(acceptDeviceRequest(verification(), unknownCode(i), { subject: 42 }, browser))).code).toBe('invalid_request');
      }
      const attempts: Array<() => Promise<unknown>> = [
        () => describeCode(unknownCode(1), browser),
        () => acceptDeviceRequest(verification(), unknownCode(2), { subject: 'alice' }, browser),
        () => rejectDeviceRequest(verification(), unknownCode(3), {}, browser),
      ];
      for (let i = 0; i < USER_CODE_FAILURES.perSource; i += 1) expect((await refusal(attempts[i % 3]!())).code).toBe('not_found');
      expect((await refusal(attempts[0]!())).status).toBe(429);
      expect(await describeCode(device.user_code, { source: '203.0.113.10' })).toMatchObject({ user_code: device.user_code });
    });
  });
});
