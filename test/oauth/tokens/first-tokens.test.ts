import { randomBytes } from 'node:crypto';
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { authorizeDevice, type DeviceAuthorizationResponse } from '../../../functions/oauth/device/authorization.ts';
import { acceptDeviceRequest } from '../../../functions/oauth/device/verification.ts';
import type { DpopProof } from '../../../functions/oauth/dpop/proof.ts';
import { authorizationCodeGrant } from '../../../functions/oauth/grants/authorization-code.ts';
import { deviceCodeGrant } from '../../../functions/oauth/grants/device-code.ts';
import { s256 } from '../../../functions/oauth/pkce.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import type { AuthorizationCode } from '../../../functions/oauth/tokens/code.ts';
import { decodeRefreshToken } from '../../../functions/oauth/tokens/refresh-token.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusal } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;
type Item = Record<string, AttributeValue>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

const proofOf = (jkt: string, now: number): DpopProof => ({ jkt, jti: randomBytes(12).toString('base64url'), iat: now, replayableUntil: now + 300 });

/**
 * Every attribute of an item has exactly one type, and no value reads "undefined" or "NaN":
 * what `s(String(x))` or `n(x)` would store for an x that is not there.
 */
function expectWellFormed(item: Item): void {
  const check = (value: AttributeValue, path: string): void => {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    expect(members, path).toHaveLength(1);
    const [type, member] = members[0]!;
    if (type === 'S') expect(member, path).not.toMatch(/^(undefined|null|NaN)$/);
    if (type === 'N') expect(Number.isFinite(Number(member)), path).toBe(true);
    if (type === 'L') (member as AttributeValue[]).forEach((entry, index) => check(entry, `${path}[${index}]`));
    if (type === 'M') for (const [name, entry] of Object.entries(member as Item)) check(entry, `${path}.${name}`);
  };
  for (const [name, value] of Object.entries(item)) check(value, name);
}

/** What a client receives: the body as JSON, read back. */
const asJson = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

describe('firstTokens: what the code exchange and the device grant write and answer', () => {
  let f: Fixture;
  let client: Client;

  const get = async (pk: string, sk: string): Promise<Item | undefined> =>
    (await f.dynamo.send(new GetItemCommand({ TableName: f.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;
  const all = async (): Promise<Item[]> => (await f.dynamo.send(new ScanCommand({ TableName: f.tableName, ConsistentRead: true }))).Items ?? [];
  const withPrefix = async (prefix: string) => (await all()).filter((item) => item['pk']?.S?.startsWith(prefix));

  beforeEach(async () => {
    f = await grantFixture();
    client = clientRecord({
      grantTypes: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      scopes: ['openid', 'offline_access', 'read'],
      audiences: ['api', 'https://reports.example.com'],
      requirePkce: false,
    });
    await f.clients.create(client);
    f.parameters.set('profiles/kiosk/access_token_ttl', '120');
  });

  describe('the device grant', () => {
    const start = (scope = 'openid offline_access read') =>
      authorizeDevice({ ...f.deps, verificationUri: 'https://login.example.com/device', userCodes: f.userCodes }, client, new Map([['scope', scope], ['resource', 'api']]));
    const accept = (device: DeviceAuthorizationResponse, body: Record<string, unknown>) =>
      acceptDeviceRequest(
        { clock: f.clock, clients: f.clients, devices: f.deps.devices, userCodes: f.userCodes, rates: f.deps.rates, metrics: f.metrics, lifetimes: f.deps.lifetimes },
        device.user_code,
        body,
      );
    const poll = (device: DeviceAuthorizationResponse, proof?: DpopProof) =>
      deviceCodeGrant.handle({ client, params: new Map([['device_code', device.device_code]]), proof }, f.deps);

    it('with a DPoP proof, a lifetime profile and opaque tokens: bound tokens, the profile everywhere, and no key nobody set', async () => {
      f.parameters.set('access_token_format', 'opaque');
      const device = await start();
      await accept(device, { subject: 'alice', lifetime_profile: 'kiosk' });
      const tokens = await poll(device, proofOf(JKT, f.clock.seconds));

      const body = asJson(tokens);
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
      expect(body).toMatchObject({ token_type: 'DPoP', expires_in: 120, scope: 'openid offline_access read' });
      // A device has no browser session and no nonce; the login app set no acr, amr or claims.
      const idToken = decodeJwt(tokens.id_token!);
      for (const absent of ['nonce', 'sid', 'acr', 'amr']) expect(Object.keys(idToken)).not.toContain(absent);

      const familyId = decodeRefreshToken(tokens.refresh_token!)!.familyId;
      const opaque = await get(`ACCESS#${hashSecret(tokens.access_token)}`, 'ACCESS');
      expect(opaque).toBeDefined();
      expectWellFormed(opaque!);
      expect(opaque).toMatchObject({ jkt: { S: JKT }, family_id: { S: familyId }, lifetime_profile: { S: 'kiosk' }, audience: { S: 'api' } });
      expect(Object.keys(opaque!)).not.toContain('userinfo_claims');

      const family = await get(`FAMILY#${familyId}`, 'FAMILY');
      expectWellFormed(family!);
      expect(family).toMatchObject({ jkt: { S: JKT }, lifetime_profile: { S: 'kiosk' }, subject: { S: 'alice' } });
      for (const absent of ['sid', 'acr', 'amr', 'claims', 'resources', 'requested_claims', 'previous_hash', 'revoked_reason']) {
        expect(Object.keys(family!)).not.toContain(absent);
      }
      // Bound for life: a refresh without a proof of the key is refused, and the family lives.
      expect((await refusal(f.refresh(tokens.refresh_token!, {}, client))).code).toBe('invalid_grant');
      expect((await f.deps.families.get(familyId))?.revoked).toBe(false);
    });

    it('without a proof: Bearer, and neither the token, the family nor the answer names a key', async () => {
      const device = await start();
      await accept(device, { subject: 'alice', acr: 'urn:lifespan:pwd', amr: ['pwd'] });
      const tokens = await poll(device);
      expect(asJson(tokens)['token_type']).toBe('Bearer');
      const access = decodeJwt(tokens.access_token);
      for (const absent of ['cnf', 'lifetime_profile', 'userinfo_claims', 'sid']) expect(Object.keys(access)).not.toContain(absent);
      expect(access['fid']).toBe(decodeRefreshToken(tokens.refresh_token!)!.familyId);
      expect(decodeJwt(tokens.id_token!)).toMatchObject({ acr: 'urn:lifespan:pwd', amr: ['pwd'] });
      const family = await get(`FAMILY#${decodeRefreshToken(tokens.refresh_token!)!.familyId}`, 'FAMILY');
      expectWellFormed(family!);
      expect(Object.keys(family!)).not.toContain('jkt');
      expect(Object.keys(family!)).not.toContain('lifetime_profile');
    });

    it('without offline_access: no family, and the access token names none', async () => {
      const device = await start('openid read');
      await accept(device, { subject: 'alice' });
      const tokens = await poll(device);
      expect(Object.keys(asJson(tokens))).not.toContain('refresh_token');
      expect(Object.keys(decodeJwt(tokens.access_token))).not.toContain('fid');
      expect(await withPrefix('FAMILY#')).toHaveLength(0);
    });

    it('approved before a bulk revocation: access_denied, the opaque token it signed is gone, the approval unconsumed, no family', async () => {
      f.parameters.set('access_token_format', 'opaque');
      const device = await start();
      await accept(device, { subject: 'alice', lifetime_profile: 'kiosk' });
      await f.deps.markers.write('user', 'alice', f.clock.seconds, f.clock.seconds + 86_400, 'compromised');
      expect((await refusal(poll(device, proofOf(JKT, f.clock.seconds)))).code).toBe('access_denied');
      expect(await withPrefix('ACCESS#')).toHaveLength(0);
      expect(await withPrefix('FAMILY#')).toHaveLength(0);
      const [stored] = await withPrefix('DEVICE#');
      expect(stored?.['status']).toEqual({ S: 'accepted' });
      expect(Object.keys(stored!)).not.toContain('consumer_id');
    });
  });

  describe('the code exchange', () => {
    const code = randomBytes(32).toString('base64url');
    const store = async (fields: Partial<AuthorizationCode> = {}) => {
      const now = f.clock.seconds;
      await f.deps.codes.create(hashSecret(code), {
        clientId: client.clientId,
        redirectUri: client.redirectUris[0]!,
        subject: 'alice',
        scope: ['openid', 'offline_access', 'read'],
        audience: 'api',
        authTime: now,
        createdAt: now,
        expiresAt: now + 60,
        ...fields,
      });
    };
    const exchange = (params: Record<string, string>, proof?: DpopProof) =>
      authorizationCodeGrant.handle({ client, params: new Map(Object.entries({ code, redirect_uri: client.redirectUris[0]!, ...params })), proof }, f.deps);

    it('every rare part at once (dpop_jkt, resources, a claims request, a profile, no PKCE, opaque): each lands where it belongs, nothing else', async () => {
      f.parameters.set('access_token_format', 'opaque');
      await store({
        jkt: JKT,
        nonce: 'n-1',
        sid: 'sid-1',
        acr: 'urn:lifespan:mfa',
        amr: ['pwd', 'otp'],
        claims: { tenant: 'acme', email: 'alice@example.com' },
        resources: ['api', 'https://reports.example.com'],
        requestedClaims: { userinfo: ['email'], idToken: ['email'] },
        lifetimeProfile: 'kiosk',
      });
      const proof = proofOf(JKT, f.clock.seconds);
      const tokens = await exchange({ resource: 'https://reports.example.com' }, proof);

      expect(Object.keys(asJson(tokens)).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
      expect(tokens).toMatchObject({ token_type: 'DPoP', expires_in: 120 });
      expect(decodeJwt(tokens.id_token!)).toMatchObject({ nonce: 'n-1', sid: 'sid-1', acr: 'urn:lifespan:mfa', amr: ['pwd', 'otp'], tenant: 'acme', email: 'alice@example.com' });

      const familyId = decodeRefreshToken(tokens.refresh_token!)!.familyId;
      const opaque = await get(`ACCESS#${hashSecret(tokens.access_token)}`, 'ACCESS');
      expectWellFormed(opaque!);
      expect(opaque).toMatchObject({
        audience: { S: 'https://reports.example.com' },
        jkt: { S: JKT },
        family_id: { S: familyId },
        lifetime_profile: { S: 'kiosk' },
        userinfo_claims: { L: [{ S: 'email' }] },
      });

      const family = await get(`FAMILY#${familyId}`, 'FAMILY');
      expectWellFormed(family!);
      // The family keeps the whole grant and its default audience (RFC 8707 §2.2).
      expect(family).toMatchObject({
        audience: { S: 'api' },
        resources: { L: [{ S: 'api' }, { S: 'https://reports.example.com' }] },
        jkt: { S: JKT },
        sid: { S: 'sid-1' },
        lifetime_profile: { S: 'kiosk' },
      });
      expect(JSON.parse(family!['requested_claims']!.S!)).toEqual({ userinfo: ['email'], idToken: ['email'] });

      const redeemed = await get(`CODE#${hashSecret(code)}`, 'CODE');
      expectWellFormed(redeemed!);
      expect(redeemed).toMatchObject({ family_id: { S: familyId }, proof_jti: { S: proof.jti }, proof_jkt: { S: JKT } });
      expect(Object.keys(redeemed!)).not.toContain('code_challenge');
    });

    it('nothing rare: the items and the tokens carry none of the optional attributes or claims', async () => {
      const verifier = randomBytes(40).toString('base64url');
      await store({ codeChallenge: s256(verifier) });
      const tokens = await exchange({ code_verifier: verifier });
      expect(tokens.token_type).toBe('Bearer');
      const access = decodeJwt(tokens.access_token);
      for (const absent of ['cnf', 'lifetime_profile', 'userinfo_claims', 'sid', 'acr']) expect(Object.keys(access)).not.toContain(absent);
      for (const absent of ['nonce', 'sid', 'acr', 'amr']) expect(Object.keys(decodeJwt(tokens.id_token!))).not.toContain(absent);

      const family = await get(`FAMILY#${decodeRefreshToken(tokens.refresh_token!)!.familyId}`, 'FAMILY');
      expectWellFormed(family!);
      for (const absent of ['jkt', 'sid', 'acr', 'amr', 'claims', 'resources', 'requested_claims', 'lifetime_profile']) {
        expect(Object.keys(family!)).not.toContain(absent);
      }
      const redeemed = await get(`CODE#${hashSecret(code)}`, 'CODE');
      expectWellFormed(redeemed!);
      for (const absent of ['proof_jti', 'proof_jkt', 'redirect_uri_omitted', 'jkt', 'nonce']) expect(Object.keys(redeemed!)).not.toContain(absent);
    });

    it('a code from before a bulk revocation: invalid_grant, its opaque token removed, the code unredeemed, no family', async () => {
      f.parameters.set('access_token_format', 'opaque');
      await store({ jkt: JKT, nonce: 'n-1', lifetimeProfile: 'kiosk' });
      await f.deps.markers.write('user', 'alice', f.clock.seconds, f.clock.seconds + 86_400, 'compromised');
      expect((await refusal(exchange({}, proofOf(JKT, f.clock.seconds)))).code).toBe('invalid_grant');
      expect(await withPrefix('ACCESS#')).toHaveLength(0);
      expect(await withPrefix('FAMILY#')).toHaveLength(0);
      expect(Object.keys((await get(`CODE#${hashSecret(code)}`, 'CODE'))!)).not.toContain('redeemed_at');
    });
  });
});
