import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { authorizeDevice, type DeviceAuthorizationResponse } from '../../../functions/oauth/device/authorization.ts';
import { normaliseUserCode } from '../../../functions/oauth/device/user-code.ts';
import { acceptDeviceRequest, describeDeviceRequest, rejectDeviceRequest } from '../../../functions/oauth/device/verification.ts';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { deviceCodeGrant } from '../../../functions/oauth/grants/device-code.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return { code: error.code, status: error.status };
    throw error;
  }
  throw new Error('expected a refusal');
}
const code = async (promise: Promise<unknown>) => (await refusal(promise)).code;

describe('device authorization grant (RFC 8628)', () => {
  let f: Fixture;
  let client: Client;
  beforeEach(async () => {
    f = await grantFixture();
    client = clientRecord({
      grantTypes: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      scopes: ['openid', 'offline_access', 'read'],
      audiences: ['api'],
    });
    await f.clients.create(client);
  });

  const authorization = () => ({ ...f.deps, verificationUri: 'https://login.example.com/device', userCodes: f.userCodes });
  const verification = () => ({ clock: f.clock, clients: f.clients, devices: f.deps.devices, userCodes: f.userCodes, rates: f.deps.rates, metrics: f.metrics });
  const start = (params: Record<string, string> = { scope: 'openid offline_access read' }, asClient: Client = client) =>
    authorizeDevice(authorization(), asClient, new Map(Object.entries(params)));
  const poll = (device: DeviceAuthorizationResponse, asClient: Client = client) =>
    deviceCodeGrant.handle({ client: asClient, params: new Map([['device_code', device.device_code]]) }, f.deps);
  const accept = (device: DeviceAuthorizationResponse, body: Record<string, unknown> = { subject: 'alice' }) =>
    acceptDeviceRequest(verification(), device.user_code, body);
  const stored = async (device: DeviceAuthorizationResponse) =>
    (await f.deps.devices.findByUserCode(await f.userCodes.keyOf(normaliseUserCode(device.user_code)!), f.clock.seconds))?.device;

  describe('the device authorization request', () => {
    it('answers with both codes, the verification URIs, the lifetime and the interval', async () => {
      const device = await start();
      expect(device.device_code).toMatch(/^lsd_[A-Za-z0-9_-]{43}$/);
      expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(device.verification_uri).toBe('https://login.example.com/device');
      expect(new URL(device.verification_uri_complete).searchParams.get('user_code')).toBe(device.user_code);
      expect(device).toMatchObject({ expires_in: 300, interval: 5 });
      expect(await stored(device)).toMatchObject({ clientId: client.clientId, scope: ['openid', 'offline_access', 'read'], audience: 'api', status: 'pending' });
    });

    it('takes expires_in from device_code_ttl for that client', async () => {
      f.parameters.set(`clients/${client.clientId}/device_code_ttl`, '120');
      expect((await start()).expires_in).toBe(120);
    });

    it('stores the codes only as hashes', async () => {
      const device = await start();
      const { Items = [] } = await f.dynamo.send(new ScanCommand({ TableName: f.tableName, ConsistentRead: true }));
      const everything = JSON.stringify(Items);
      expect(everything).not.toContain(device.device_code);
      expect(everything).not.toContain(device.device_code.slice(4));
      expect(everything).not.toContain(normaliseUserCode(device.user_code)!);
      expect(everything).toContain(hashSecret(device.device_code));
    });

    it('refuses a client without the grant, a scope or resource it may not have', async () => {
      const codeOnly = clientRecord({ grantTypes: ['authorization_code'] });
      expect(await code(start({}, codeOnly))).toBe('unauthorized_client');
      expect(await code(start({ scope: 'openid admin' }))).toBe('invalid_scope');
      expect(await code(start({ resource: 'billing-api' }))).toBe('invalid_target');
    });

    it('draws another user code when the first is taken (a conditional write, nothing overwritten)', async () => {
      const real = f.deps.devices;
      const taken: string[] = [];
      const devices = {
        create: async (deviceCodeHash: string, userCodeHash: string, device: Parameters<typeof real.create>[2]) => {
          if (taken.length === 0) {
            taken.push(userCodeHash);
            // Occupy this user code, then let the real write find it taken.
            expect(await real.create(hashSecret('another device'), userCodeHash, device)).toBe(true);
          }
          return real.create(deviceCodeHash, userCodeHash, device);
        },
      };
      const device = await authorizeDevice({ ...authorization(), devices }, client, new Map([['scope', 'read']]));
      expect(await f.userCodes.keyOf(normaliseUserCode(device.user_code)!)).not.toBe(taken[0]);
      expect((await stored(device))?.scope).toEqual(['read']);
    });

    it('lets a user code be reused once its request expired, though DynamoDB has not deleted it', async () => {
      const base = { clientId: client.clientId, scope: ['read'], audience: 'api', status: 'pending' as const, interval: 5 };
      const now = f.clock.seconds;
      expect(await f.deps.devices.create('d1', 'u1', { ...base, createdAt: now, expiresAt: now + 10 })).toBe(true);
      expect(await f.deps.devices.create('d2', 'u1', { ...base, createdAt: now, expiresAt: now + 10 })).toBe(false);
      f.clock.advance(10);
      expect(await f.deps.devices.create('d3', 'u1', { ...base, createdAt: now + 10, expiresAt: now + 20 })).toBe(true);
      expect((await f.deps.devices.findByUserCode('u1', now + 10))?.deviceCodeHash).toBe('d3');
    });
  });

  describe('polling', () => {
    it('is authorization_pending (400) while the user has not decided', async () => {
      const device = await start();
      expect(await refusal(poll(device))).toEqual({ code: 'authorization_pending', status: 400 });
      f.clock.advance(5);
      expect(await code(poll(device))).toBe('authorization_pending');
      expect(await stored(device)).toMatchObject({ lastPolledAt: f.clock.seconds, nextPollAt: f.clock.seconds + 5, interval: 5 });
    });

    it('is slow_down when polled sooner than the interval, and the interval grows by 5 s each time', async () => {
      const device = await start();
      expect(await code(poll(device))).toBe('authorization_pending');
      f.clock.advance(4);
      expect(await refusal(poll(device))).toEqual({ code: 'slow_down', status: 400 });
      expect((await stored(device))?.interval).toBe(10);
      // Waiting the old interval is not enough any more.
      f.clock.advance(5);
      expect(await code(poll(device))).toBe('slow_down');
      expect((await stored(device))?.interval).toBe(15);
      f.clock.advance(15);
      expect(await code(poll(device))).toBe('authorization_pending');
      f.clock.advance(14);
      expect(await code(poll(device))).toBe('slow_down');
      f.clock.advance(20);
      expect(await code(poll(device))).toBe('authorization_pending');
      expect((await stored(device))?.interval).toBe(20);
    });

    it('adds 5 s for every too-fast poll, also when they come concurrently', async () => {
      const device = await start();
      await code(poll(device));
      const codes = await Promise.all(Array.from({ length: 5 }, () => code(poll(device))));
      expect(codes).toEqual(Array(5).fill('slow_down'));
      expect((await stored(device))?.interval).toBe(5 + 5 * 5);
    });

    it('is expired_token after expiry, though DynamoDB has not deleted the item', async () => {
      const device = await start();
      f.clock.advance(300);
      const { Item } = await f.dynamo.send(
        new GetItemCommand({ TableName: f.tableName, Key: { pk: { S: `DEVICE#${hashSecret(device.device_code)}` }, sk: { S: 'DEVICE' } } }),
      );
      expect(Item).toBeDefined();
      expect(await refusal(poll(device))).toEqual({ code: 'expired_token', status: 400 });
      expect(await code(describeDeviceRequest(verification(), device.user_code))).toBe('not_found');
      expect(await code(accept(device))).toBe('not_found');
    });

    it('an approval that comes too late gives no tokens', async () => {
      const device = await start();
      await accept(device);
      f.clock.advance(300);
      expect(await code(poll(device))).toBe('expired_token');
    });

    it('is access_denied, a 400, after the user denied', async () => {
      const device = await start();
      expect(await rejectDeviceRequest(verification(), device.user_code, { error_description: 'not my TV' })).toEqual({ status: 'rejected' });
      expect(await refusal(poll(device))).toEqual({ code: 'access_denied', status: 400 });
      expect(await code(poll(device))).toBe('access_denied');
      expect(await code(accept(device))).toBe('not_found');
    });

    it('is invalid_grant for another client, and leaves the request untouched', async () => {
      const device = await start();
      const other = clientRecord({ grantTypes: [DEVICE_GRANT], scopes: ['openid'] });
      expect(await code(poll(device, other))).toBe('invalid_grant');
      expect((await stored(device))?.lastPolledAt).toBeUndefined();
      await accept(device);
      expect(await code(poll(device, other))).toBe('invalid_grant');
      expect((await poll(device)).access_token).toBeDefined();
    });

    it('is invalid_grant for an unknown device code, invalid_request without one', async () => {
      const device = await start();
      expect(await code(poll({ ...device, device_code: `${device.device_code}x` }))).toBe('invalid_grant');
      expect(await code(deviceCodeGrant.handle({ client, params: new Map() }, f.deps))).toBe('invalid_request');
    });
  });

  describe('after approval', () => {
    it('issues access, ID and refresh tokens once; the next poll is invalid_grant', async () => {
      const device = await start();
      expect(await code(poll(device))).toBe('authorization_pending');
      f.clock.advance(2);
      expect(
        await accept(device, { subject: 'alice', acr: 'urn:lifespan:pwd', amr: ['pwd', 'otp'], claims: { email: 'alice@example.com', tenant: 'acme' } }),
      ).toEqual({ status: 'accepted' });
      // Approved: tokens come at once, even sooner than the interval.
      const tokens = await poll(device);
      expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access read' });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'alice', aud: 'api', client_id: client.clientId, auth_time: f.clock.seconds });
      expect(decodeJwt(tokens.id_token!)).toMatchObject({
        sub: 'alice',
        aud: client.clientId,
        acr: 'urn:lifespan:pwd',
        amr: ['pwd', 'otp'],
        tenant: 'acme',
        auth_time: f.clock.seconds,
      });
      expect(decodeJwt(tokens.id_token!)['email']).toBeUndefined();
      expect(tokens.refresh_token).toMatch(/^lsr_/);
      expect((await f.refresh(tokens.refresh_token!, {}, client)).access_token).toBeDefined();
      expect(await refusal(poll(device))).toEqual({ code: 'invalid_grant', status: 400 });
    });

    it('gives no ID token without openid and no refresh token without offline_access', async () => {
      const device = await start({ scope: 'read' });
      await accept(device);
      const tokens = await poll(device);
      expect(tokens.id_token).toBeUndefined();
      expect(tokens.refresh_token).toBeUndefined();
    });

    it('10 concurrent polls: exactly one gets tokens, the others invalid_grant', async () => {
      const device = await start();
      await accept(device);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => poll(device)));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as OAuthError).code).toBe('invalid_grant');
      }
    });
  });

  describe('the admin side (describe, accept, reject by user code)', () => {
    it('describes a pending request: client and scopes, found by the code however it is typed', async () => {
      const device = await start();
      const typed = device.user_code.toLowerCase().replace('-', ' ');
      expect(await describeDeviceRequest(verification(), typed)).toMatchObject({
        user_code: device.user_code,
        client: { client_id: client.clientId, client_name: client.clientName },
        requested_scope: ['openid', 'offline_access', 'read'],
        requested_audience: 'api',
      });
      expect(await acceptDeviceRequest(verification(), typed, { subject: 'bob' })).toEqual({ status: 'accepted' });
      expect(decodeJwt((await poll(device)).access_token).sub).toBe('bob');
    });

    it('answers an unknown, malformed or already handled user code with 404', async () => {
      const device = await start();
      expect(await code(describeDeviceRequest(verification(), 'BCDF-GHJK'))).toBe('not_found');
      expect(await code(describeDeviceRequest(verification(), 'AEIOU'))).toBe('not_found');
      await accept(device);
      expect(await code(accept(device))).toBe('not_found');
      expect(await code(rejectDeviceRequest(verification(), device.user_code, {}))).toBe('not_found');
      expect(await code(describeDeviceRequest(verification(), device.user_code))).toBe('not_found');
    });

    it.each([
      ['no subject', {}],
      ['an empty subject', { subject: '' }],
      ['remember (no session here)', { subject: 'alice', remember: true }],
      ['an unknown field', { subject: 'alice', admin: true }],
      ['amr not a list', { subject: 'alice', amr: 'pwd' }],
      ['claims not an object', { subject: 'alice', claims: [1] }],
    ])('refuses an accept body with %s (invalid_request), and the request stays pending', async (_why, body) => {
      const device = await start();
      expect(await refusal(accept(device, body))).toEqual({ code: 'invalid_request', status: 400 });
      expect((await stored(device))?.status).toBe('pending');
    });

    it.each([
      ['another error', { error: 'login_required' }],
      ['an unknown field', { reason: 'x' }],
      ['a long description', { error_description: 'x'.repeat(501) }],
    ])('refuses a reject body with %s', async (_why, body) => {
      const device = await start();
      expect(await code(rejectDeviceRequest(verification(), device.user_code, body))).toBe('invalid_request');
      expect((await stored(device))?.status).toBe('pending');
    });
  });
});
