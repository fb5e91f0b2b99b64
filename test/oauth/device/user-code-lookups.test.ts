import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmacUserCodeKeys } from '../../../functions/adapters/local/local-successor-deriver.ts';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { authorizeDevice } from '../../../functions/oauth/device/authorization.ts';
import { normaliseUserCode, type UserCodeKeys } from '../../../functions/oauth/device/user-code.ts';
import { describeDeviceRequest } from '../../../functions/oauth/device/verification.ts';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; headers: Readonly<Record<string, string>> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return { code: error.code, status: error.status, headers: error.headers };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('device user codes', () => {
  let f: Fixture;
  let client: Client;
  beforeEach(async () => {
    f = await grantFixture();
    client = clientRecord({ grantTypes: [DEVICE_GRANT], scopes: ['openid', 'read'], audiences: ['api'] });
    await f.clients.create(client);
  });

  const start = (userCodes: UserCodeKeys = f.userCodes) =>
    authorizeDevice({ ...f.deps, verificationUri: 'https://login.example.com/device', userCodes }, client, new Map([['scope', 'read']]));
  const verification = (userCodes: UserCodeKeys = f.userCodes) => ({
    clock: f.clock,
    clients: f.clients,
    devices: f.deps.devices,
    userCodes,
  });
  const describeCode = (userCode: string, userCodes?: UserCodeKeys) => describeDeviceRequest(verification(userCodes), userCode);
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
      expect(await describeCode(theirs.user_code, other)).toMatchObject({ user_code: theirs.user_code });
      expect((await refusal(describeCode(ours.user_code, other))).code).toBe('not_found');
      expect((await refusal(describeCode(theirs.user_code))).code).toBe('not_found');
    });
  });
});
