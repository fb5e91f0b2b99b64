import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { Browser } from '../support/browser.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import {
  acceptRaw,
  adminJson,
  authorizationRequest,
  clientForm,
  exchangeCode,
  expectActive,
  expectCodeAtOnce,
  expectLoginChallenge,
  expectTokenError,
  expectTokens,
  logInThrough,
  newClient,
  newPublicClient,
  refresh,
  setCookies,
  tokenRequest,
  uniqueSubject,
  writeParameters,
  type TestClient,
  type Tokens,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { records, takeTestLines } from '../support/output.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A shared or public device: a short session, short refresh idle, short tokens. */
const SHARED_DEVICE = {
  session_idle_ttl: '600',
  session_absolute_ttl: '3600',
  refresh_token_idle_ttl: '900',
  refresh_token_absolute_ttl: '7200',
  access_token_ttl: '120',
  id_token_ttl: '60',
  authorization_code_ttl: '30',
  refresh_token_rotation: 'true',
};

/**
 * Lifetime profiles through the local server (#14): the login app picks one at accept, and
 * everything that login produces — the SSO session, codes, the refresh family, access and ID
 * tokens, later refreshes and SSO reuse — lives by it; what is longer in the profile than the
 * client's own value is not used; an unknown profile is refused with nothing accepted.
 */
describe('lifetime profiles chosen at login', () => {
  let service: TestServer;
  let web: TestClient;
  let other: TestClient;
  let spa: TestClient;
  let tv: TestClient;
  const dynamo = localDynamoClient();

  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service);
    other = await newClient(service, { client_name: 'other app' });
    spa = await newPublicClient(service, { scopes: ['openid', 'offline_access'] });
    tv = await newPublicClient(service, { grant_types: [DEVICE_GRANT, 'refresh_token'], redirect_uris: undefined, scopes: ['openid', 'offline_access'] });
    await writeParameters(service, {
      profiles: {
        'shared-device': SHARED_DEVICE,
        // Only the absolute lifetime: the inherited idle one (30 min) can never be reached past it.
        'admin-console': { session_absolute_ttl: '300', access_token_ttl: '60', refresh_token_absolute_ttl: '1800' },
        'untrusted-network': { access_token_format: 'opaque', access_token_ttl: '180', refresh_token_idle_ttl: '3600' },
        // Valid now; the last test makes it try to loosen.
        loosening: { access_token_ttl: '300' },
      },
      // The client's own ID token lifetime is shorter than the profile's: the profile's is not used.
      [`clients/${web.client_id}/id_token_ttl`]: '45',
      [`clients/${web.client_id}/refresh_token_rotation`]: 'false',
    });
  });
  afterAll(async () => {
    await service.server.close();
  });

  const codeItem = async (code: string) => {
    const { Item } = await dynamo.send(
      new GetItemCommand({ TableName: service.tableName, Key: { pk: { S: `CODE#${hashSecret(code)}` }, sk: { S: 'CODE' } } }),
    );
    return Item!;
  };
  const familyView = async (familyId: string) => {
    const response = await service.admin(`/admin/families/${familyId}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, number | string>;
  };
  const sessionsOf = async (subject: string) => {
    const response = await service.admin(`/admin/users/${encodeURIComponent(subject)}/sessions`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { sessions: Array<Record<string, number | string>> }).sessions;
  };
  const lifetimeOf = (jwt: string) => {
    const claims = decodeJwt(jwt);
    return claims.exp! - claims.iat!;
  };
  const login = async (client: TestClient, accept: Record<string, unknown>, params: Record<string, string> = {}) => {
    const browser = new Browser();
    const request = await authorizationRequest(service, client, params);
    const { code, completion } = await logInThrough(service, browser, request, accept);
    const item = await codeItem(code);
    const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
    return { tokens, browser, completion, codeTtl: Number(item['expires_at']!.N) - Number(item['created_at']!.N), codeProfile: item['lifetime_profile']?.S };
  };

  describe('a login accepted with a profile', () => {
    let subject: string;
    let first: Awaited<ReturnType<typeof login>>;

    beforeAll(async () => {
      subject = uniqueSubject('shared');
      first = await login(web, { subject, remember: true, lifetime_profile: 'shared-device' });
    });

    it('gives a code of the profile’s lifetime, carrying the profile', () => {
      expect(first.codeTtl).toBe(30);
      expect(first.codeProfile).toBe('shared-device');
    });

    it('gives access tokens of the profile’s lifetime (expires_in and exp − iat) that name the profile', () => {
      expect(first.tokens.expires_in).toBe(120);
      expect(lifetimeOf(first.tokens.access_token)).toBe(120);
      expect(decodeJwt(first.tokens.access_token)['lifetime_profile']).toBe('shared-device');
    });

    it('does not use a profile value longer than the client’s: the ID token lives the client’s 45 s, not 60', () => {
      expect(lifetimeOf(first.tokens.id_token!)).toBe(45);
    });

    it('starts a family with the profile’s idle and absolute lifetimes, as the admin API shows it', async () => {
      const family = await familyView(String(decodeJwt(first.tokens.access_token)['fid']));
      expect(family['lifetime_profile']).toBe('shared-device');
      expect(Number(family['expires_at']) - Number(family['last_used_at'])).toBe(900);
      expect(Number(family['absolute_expires_at']) - Number(family['created_at'])).toBe(7200);
    });

    it('starts an SSO session of the profile’s idle lifetime, and a persistent cookie no longer than it', async () => {
      const [session] = await sessionsOf(subject);
      expect(Number(session!['expires_at']) - Number(session!['last_seen_at'])).toBe(600);
      const [cookie] = setCookies(first.completion, 'lifespan_session');
      expect(Number(cookie?.attributes.get('max-age'))).toBe(600);
    });

    it('keeps the profile on every refresh, and turns rotation back on for a client that has it off', async () => {
      const refreshed = await expectTokens(await refresh(service, web, first.tokens.refresh_token!));
      expect(refreshed.expires_in).toBe(120);
      expect(decodeJwt(refreshed.access_token)['lifetime_profile']).toBe('shared-device');
      // web has refresh_token_rotation=false; the profile's login keeps rotation on.
      expect(refreshed.refresh_token).not.toBe(first.tokens.refresh_token);
      const family = await familyView(String(decodeJwt(refreshed.access_token)['fid']));
      expect(Number(family['expires_at']) - Number(family['last_used_at'])).toBe(900);
      // The superseded token, used again: reuse, the family is revoked.
      await expectTokenError(await refresh(service, web, first.tokens.refresh_token!), 400, 'invalid_grant');
      await expectTokenError(await refresh(service, web, refreshed.refresh_token!), 400, 'invalid_grant');
    });

    it('answers introspection with the profile’s name, for access and refresh tokens', async () => {
      const fresh = await login(web, { subject, lifetime_profile: 'shared-device' });
      expect(await expectActive(service, web, fresh.tokens.access_token)).toMatchObject({ lifetime_profile: 'shared-device' });
      const asRefresh = await expectActive(service, web, fresh.tokens.refresh_token!);
      expect(asRefresh).toMatchObject({ token_type: 'refresh_token', lifetime_profile: 'shared-device' });
      expect(Number(asRefresh['exp']) - Number(asRefresh['iat'])).toBe(900);
    });

    it('stays with the SSO session: a later /authorize of another client gets the profile’s lifetimes', async () => {
      const request = await authorizationRequest(service, other);
      const callback = await expectCodeAtOnce(first.browser, request, service.url);
      const code = callback.searchParams.get('code')!;
      expect((await codeItem(code))['lifetime_profile']?.S).toBe('shared-device');
      const tokens = await expectTokens(await exchangeCode(service, other, code, request.verifier));
      expect(tokens.expires_in).toBe(120);
      expect(lifetimeOf(tokens.id_token!)).toBe(60);
      expect(decodeJwt(tokens.access_token)['lifetime_profile']).toBe('shared-device');
      const family = await familyView(String(decodeJwt(tokens.access_token)['fid']));
      expect(Number(family['absolute_expires_at']) - Number(family['created_at'])).toBe(7200);
    });
  });

  it('cuts the session to a profile’s absolute lifetime, and a public client’s tokens to the profile', async () => {
    const subject = uniqueSubject('admin');
    const { tokens } = await login(spa, { subject, lifetime_profile: 'admin-console' }, { scope: 'openid offline_access' });
    expect(tokens.expires_in).toBe(60);
    const [session] = await sessionsOf(subject);
    expect(Number(session!['expires_at']) - Number(session!['created_at'])).toBe(300);
    const family = await familyView(String(decodeJwt(tokens.access_token)['fid']));
    expect(Number(family['absolute_expires_at']) - Number(family['created_at'])).toBe(1800);
  });

  it('issues opaque access tokens under a profile that asks for them, naming it at introspection', async () => {
    const { tokens } = await login(web, { subject: uniqueSubject('cafe'), lifetime_profile: 'untrusted-network' });
    expect(tokens.access_token).toMatch(/^lsa_/);
    expect(tokens.expires_in).toBe(180);
    const answer = await expectActive(service, web, tokens.access_token);
    expect(answer).toMatchObject({ lifetime_profile: 'untrusted-network' });
    expect(Number(answer['exp']) - Number(answer['iat'])).toBe(180);
  });

  it('changes nothing without a profile', async () => {
    const subject = uniqueSubject('plain');
    const { tokens, codeTtl, codeProfile } = await login(web, { subject });
    expect(codeTtl).toBe(600);
    expect(codeProfile).toBeUndefined();
    expect(tokens.expires_in).toBe(900);
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('lifetime_profile');
    expect(await expectActive(service, web, tokens.access_token)).not.toHaveProperty('lifetime_profile');
    const family = await familyView(String(decodeJwt(tokens.access_token)['fid']));
    expect(family).not.toHaveProperty('lifetime_profile');
    expect(Number(family['expires_at']) - Number(family['last_used_at'])).toBe(2_592_000);
    const [session] = await sessionsOf(subject);
    expect(Number(session!['expires_at']) - Number(session!['last_seen_at'])).toBe(1800);
    // And web's own refresh_token_rotation=false applies: the same refresh token again.
    const refreshed = await expectTokens(await refresh(service, web, tokens.refresh_token!));
    expect(refreshed.refresh_token).toBe(tokens.refresh_token);
  });

  it('GET /admin/lifetimes?profile= explains what such a login gets; an unknown profile is 404, a bad name 400', async () => {
    const response = await service.admin(`/admin/lifetimes?client_id=${web.client_id}&profile=shared-device`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { profile: string; lifetimes: Record<string, { value: unknown; source: string }> };
    expect(body.profile).toBe('shared-device');
    expect(body.lifetimes['access_token_ttl']).toEqual({ value: 120, source: 'profile' });
    expect(body.lifetimes['id_token_ttl']).toEqual({ value: 45, source: 'client' });
    expect(body.lifetimes['refresh_token_rotation']).toEqual({ value: true, source: 'profile' });
    const { tokens } = await login(web, { subject: uniqueSubject(), lifetime_profile: 'shared-device' });
    expect(tokens.expires_in).toBe(body.lifetimes['access_token_ttl']!.value);
    expect(lifetimeOf(tokens.id_token!)).toBe(body.lifetimes['id_token_ttl']!.value);

    const unknown = await service.admin('/admin/lifetimes?profile=shared-devices');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error_description: 'no lifetime profile shared-devices' });
    expect((await service.admin('/admin/lifetimes?profile=a%2Fb')).status).toBe(400);
  });

  it('the development login page offers the configured profiles, and logs in with the one chosen', async () => {
    const request = await authorizationRequest(service, web);
    const browser = new Browser();
    const { challenge } = await expectLoginChallenge(browser, request.url);
    const form = await (await browser.get(`${service.url}/login?login_challenge=${challenge}`)).text();
    expect([...form.matchAll(/<option value="([^"]*)">/g)].map((match) => match[1])).toEqual(['', 'admin-console', 'loosening', 'shared-device', 'untrusted-network']);
    const unknown = await browser.post(`${service.url}/login`, { login_challenge: challenge, subject: 'kiosk-user', action: 'accept', lifetime_profile: 'nope' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('lifetime_profile nope is unknown');
    const accepted = await browser.post(`${service.url}/login`, { login_challenge: challenge, subject: 'kiosk-user', action: 'accept', lifetime_profile: 'shared-device' });
    expect(accepted.status).toBe(302);
    const completion = await browser.get(accepted.headers.get('location')!);
    const code = new URL(completion.headers.get('location')!).searchParams.get('code')!;
    const tokens = await expectTokens(await exchangeCode(service, web, code, request.verifier));
    expect(decodeJwt(tokens.access_token)['lifetime_profile']).toBe('shared-device');
  });

  describe('refused at accept, with nothing accepted', () => {
    it.each([
      ['an unknown profile', { lifetime_profile: 'shared-devices' }, /lifetime_profile shared-devices is unknown/],
      ['a name no profile can have', { lifetime_profile: 'a/b' }, /lifetime_profile must be a profile name/],
      ['not a string', { lifetime_profile: 7 }, /lifetime_profile must be a profile name/],
      ['an empty name', { lifetime_profile: '' }, /lifetime_profile must be a profile name/],
    ])('%s', async (_, field, message) => {
      const request = await authorizationRequest(service, web);
      const browser = new Browser();
      const { challenge } = await expectLoginChallenge(browser, request.url);
      const refused = await acceptRaw(service, challenge, { subject: uniqueSubject(), ...field });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(message) });
      // Still pending: the login app can show it again and accept it properly.
      expect((await service.admin(`/admin/login-requests/${challenge}`)).status).toBe(200);
      const accepted = await acceptRaw(service, challenge, { subject: uniqueSubject(), lifetime_profile: 'shared-device' });
      expect(accepted.status).toBe(200);
    });
  });

  describe('a device approval', () => {
    const authorizeDevice = async () => {
      const response = await clientForm(service, '/device_authorization', { scope: 'openid offline_access' }, tv);
      expect(response.status).toBe(200);
      return (await response.json()) as { device_code: string; user_code: string };
    };
    const poll = (deviceCode: string) => tokenRequest(service, { grant_type: DEVICE_GRANT, device_code: deviceCode }, tv);

    it('with an unknown profile is refused and stays pending; with a known one its tokens live by it', async () => {
      const device = await authorizeDevice();
      const refused = await adminJson(service, `/admin/device-requests/${device.user_code}/accept`, { subject: uniqueSubject(), lifetime_profile: 'nope' }, 'PUT');
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/lifetime_profile nope is unknown/) });
      expect((await service.admin(`/admin/device-requests/${device.user_code}`)).status).toBe(200);

      const accepted = await adminJson(service, `/admin/device-requests/${device.user_code}/accept`, { subject: uniqueSubject(), lifetime_profile: 'shared-device' }, 'PUT');
      expect(accepted.status).toBe(200);
      const tokens: Tokens = await expectTokens(await poll(device.device_code));
      expect(tokens.expires_in).toBe(120);
      expect(lifetimeOf(tokens.id_token!)).toBe(60);
      expect(decodeJwt(tokens.access_token)['lifetime_profile']).toBe('shared-device');
      const family = await familyView(String(decodeJwt(tokens.access_token)['fid']));
      expect(Number(family['expires_at']) - Number(family['last_used_at'])).toBe(900);
      expect(Number(family['absolute_expires_at']) - Number(family['created_at'])).toBe(7200);
    });
  });

  describe('a profile that tries to loosen', () => {
    it('is rejected by the guardrails: logged and counted, its last valid values kept, rotation left on', async () => {
      takeTestLines();
      await writeParameters(service, {
        profiles: {
          'shared-device': SHARED_DEVICE,
          loosening: { refresh_token_rotation: 'false', access_token_ttl: '90000' },
        },
        [`clients/${web.client_id}/id_token_ttl`]: '45',
      });
      const { tokens } = await login(web, { subject: uniqueSubject('loose'), lifetime_profile: 'loosening' });
      // 90000 is above the hard limit: the 300 it replaced stays in use.
      expect(tokens.expires_in).toBe(300);
      const refreshed = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      const lines = records(takeTestLines());
      const rejected = lines.filter((line) => line['event'] === 'configuration_rejected');
      expect(rejected.map((line) => line['parameter'])).toEqual(
        expect.arrayContaining(['profiles/loosening/refresh_token_rotation', 'profiles/loosening/access_token_ttl']),
      );
      const counted = lines.filter((line) => line['_aws'] !== undefined && line['Parameter'] === 'profiles/loosening/refresh_token_rotation');
      expect(counted.length).toBeGreaterThan(0);
    });
  });
});
