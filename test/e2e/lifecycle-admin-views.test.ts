import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAMETER_NAMES } from '../../functions/lifetimes/parameters.ts';
import { decodeRefreshToken, newFamilyId } from '../../functions/oauth/tokens/refresh-token.ts';
import {
  adminJson,
  codeFor,
  exchangeCode,
  expectInactive,
  expectRevoked,
  expectTokenError,
  expectTokens,
  loginTokens,
  newClient,
  newPublicClient,
  refresh,
  revokeRequest,
  sleep,
  tokenRequest,
  uniqueSubject,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const now = () => Math.floor(Date.now() / 1000);
const familyOf = (refreshToken: string) => decodeRefreshToken(refreshToken)!.familyId;

describe('admin views: GET /admin/families/{id} and GET /admin/lifetimes', () => {
  let service: TestServer;
  /** Two audiences, overrides of its own, and an audience override on orders-api. */
  let web: TestClient;
  let spa: TestClient;
  /** access_token_ttl 7200: a warning. */
  let long: TestClient;
  /** access_token_ttl 100000 for it is rejected by the guardrail. */
  let broken: TestClient;
  let m2m: TestClient;
  /** Allowed 20 refreshes per 1 s window, to rotate more often than the timeline keeps. */
  let churn: TestClient;

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    [web, spa, long, broken, m2m, churn] = await Promise.all([
      newClient(service, { audiences: ['orders-api', 'billing-api'] }),
      newPublicClient(service),
      newClient(service, { audiences: ['reports-api'] }),
      newClient(service, { audiences: ['reports-api'] }),
      newClient(service, { grant_types: ['client_credentials'], redirect_uris: [], scopes: ['orders:read'] }),
      newClient(service),
    ]);
    await writeParameters(service, {
      introspection_cache_ttl: 0,
      id_token_ttl: 240,
      device_code_ttl: 999_999,
      rate_limit_window: 1,
      clients: {
        [churn.client_id]: { refresh_rate_limit: 20 },
        [web.client_id]: { access_token_ttl: 1200, refresh_token_idle_ttl: 86_400 },
        [long.client_id]: { access_token_ttl: 7200 },
        [broken.client_id]: { access_token_ttl: 100_000 },
        [m2m.client_id]: { client_credentials_token_ttl: 1800 },
      },
      audiences: { 'orders-api': { access_token_ttl: 600 } },
    });
  });
  afterAll(async () => {
    await service.server.close();
  });

  const timeline = async (familyId: string) => {
    const response = await service.admin(`/admin/families/${familyId}`);
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 200 });
    expect(response.headers.get('cache-control')).toBe('no-store');
    return JSON.parse(text) as Record<string, unknown> & { events: Array<Record<string, unknown>> };
  };

  describe('GET /admin/families/{id}', () => {
    it('created, every rotation with its generation and time, reuse_detected and revoked with its reason; state active then revoked', async () => {
      const started = now();
      const subject = uniqueSubject();
      const { tokens } = await loginTokens(service, web, { params: { resource: 'orders-api' }, accept: { subject } });
      const familyId = familyOf(tokens.refresh_token!);

      const fresh = await timeline(familyId);
      expect(fresh).toMatchObject({
        family_id: familyId,
        client_id: web.client_id,
        subject,
        scope: 'openid offline_access orders:read',
        audience: 'orders-api',
        state: 'active',
        generation: 0,
      });
      expect(fresh.events).toEqual([{ type: 'created', at: expect.any(Number), generation: 0 }]);
      expect(fresh.events[0]!['at']).toBeGreaterThanOrEqual(started);

      const first = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      const second = await expectTokens(await refresh(service, web, first.refresh_token!));
      expect(familyOf(second.refresh_token!)).toBe(familyId);
      const rotated = await timeline(familyId);
      expect(rotated).toMatchObject({ state: 'active', generation: 2 });
      expect(rotated.events.map(({ type, generation }) => ({ type, generation }))).toEqual([
        { type: 'created', generation: 0 },
        { type: 'rotated', generation: 1 },
        { type: 'rotated', generation: 2 },
      ]);

      // Reuse of the first, superseded token revokes the family.
      await expectTokenError(await refresh(service, web, tokens.refresh_token!), 400, 'invalid_grant');
      const ended = now();
      const revoked = await timeline(familyId);
      expect(revoked).toMatchObject({ state: 'revoked', revoked_reason: 'reuse', generation: 2 });
      expect(revoked.events.map(({ type }) => type)).toEqual(['created', 'rotated', 'rotated', 'reuse_detected', 'revoked']);
      expect(revoked.events.at(-1)).toMatchObject({ type: 'revoked', reason: 'reuse' });
      for (const event of revoked.events) {
        expect(event['at']).toBeGreaterThanOrEqual(started);
        expect(event['at']).toBeLessThanOrEqual(ended);
      }
      const times = revoked.events.map((event) => event['at'] as number);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('keeps every rotation, past the newest 20 the family item holds: the table stream records them all', async () => {
      const { tokens } = await loginTokens(service, churn, { accept: { subject: uniqueSubject() } });
      let current = tokens.refresh_token!;
      const started = now();
      for (let i = 0; i < 45; i += 1) {
        // 20 refreshes per 1 s window are allowed: let the window pass every 20.
        if (i > 0 && i % 20 === 0) await sleep(2_100);
        current = (await expectTokens(await refresh(service, churn, current))).refresh_token!;
      }
      const ended = now();
      // The history is written off the refresh path (the stream poller, as Lambda in AWS): it
      // catches up within moments.
      let long = await timeline(familyOf(current));
      for (const deadline = Date.now() + 15_000; long['rotations_not_recorded'] !== undefined && Date.now() < deadline; ) {
        await sleep(200);
        long = await timeline(familyOf(current));
      }
      expect(long).toMatchObject({ state: 'active', generation: 45 });
      expect(long).not.toHaveProperty('rotations_not_recorded');
      const rotations = long.events.filter((event) => event['type'] === 'rotated');
      expect(rotations.map((event) => event['generation'])).toEqual(Array.from({ length: 45 }, (_, index) => index + 1));
      const times = rotations.map((event) => event['at'] as number);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBeGreaterThanOrEqual(started);
      expect(times.at(-1)).toBeLessThanOrEqual(ended);
    });

    it('revoked through POST /revoke: reason revoked', async () => {
      const { tokens } = await loginTokens(service, web, { params: { resource: 'orders-api' }, accept: { subject: uniqueSubject() } });
      await expectRevoked(await revokeRequest(service, web, tokens.refresh_token));
      const revoked = await timeline(familyOf(tokens.refresh_token!));
      expect(revoked).toMatchObject({ state: 'revoked', revoked_reason: 'revoked' });
      expect(revoked.events.map(({ type }) => type)).toEqual(['created', 'revoked']);
      expect(revoked.events.at(-1)).toMatchObject({ type: 'revoked', reason: 'revoked' });
    });

    it('revoked by a replayed authorization code: reason code_replay', async () => {
      const { code, request } = await codeFor(service, web, { resource: 'orders-api' }, { subject: uniqueSubject() });
      const tokens = await expectTokens(await exchangeCode(service, web, code, request.verifier));
      await expectTokenError(await exchangeCode(service, web, code, request.verifier), 400, 'invalid_grant');
      expect(await timeline(familyOf(tokens.refresh_token!))).toMatchObject({ state: 'revoked', revoked_reason: 'code_replay' });
    });

    it('a family killed by a user revoke-all marker and then presented: revoked, reason marker', async () => {
      const subject = uniqueSubject();
      const { tokens } = await loginTokens(service, web, { params: { resource: 'orders-api' }, accept: { subject } });
      expect((await adminJson(service, '/admin/revocations', { scope: 'user', id: subject })).status).toBe(200);
      await expectTokenError(await refresh(service, web, tokens.refresh_token!), 400, 'invalid_grant');
      expect(await timeline(familyOf(tokens.refresh_token!))).toMatchObject({ state: 'revoked', revoked_reason: 'marker' });
    });

    it('a family killed by a user revoke-all marker is not reported active, though nobody presented it since (introspection already says inactive)', async () => {
      const subject = uniqueSubject();
      const { tokens } = await loginTokens(service, web, { params: { resource: 'orders-api' }, accept: { subject } });
      expect((await adminJson(service, '/admin/users/' + subject + '/events', { type: 'compromised' })).status).toBe(200);
      await expectInactive(service, web, tokens.refresh_token!);
      expect((await timeline(familyOf(tokens.refresh_token!)))['state']).not.toBe('active');
    });

    it.each([
      ['an unknown (well-formed) id', () => newFamilyId()],
      ['too short', () => 'abc'],
      ['one character too long', () => `${newFamilyId()}A`],
      ['a character outside base64url', () => `${newFamilyId().slice(0, 21)}.`],
      ['a whole refresh token', () => 'lsr_AAAAAAAAAAAAAAAAAAAAAA'],
    ])('404 for %s', async (_why, id) => {
      const response = await service.admin(`/admin/families/${encodeURIComponent(id())}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    });

    it('401 without the admin token, or with a wrong one', async () => {
      const { tokens } = await loginTokens(service, web, { params: { resource: 'orders-api' }, accept: { subject: uniqueSubject() } });
      const path = `${service.url}/admin/families/${familyOf(tokens.refresh_token!)}`;
      for (const headers of [{}, { authorization: 'Bearer not-the-admin-token' }, { authorization: `Basic ${service.adminToken}` }] as Array<Record<string, string>>) {
        const response = await fetch(path, { headers });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(await response.text()).not.toContain(familyOf(tokens.refresh_token!));
      }
    });
  });

  describe('GET /admin/lifetimes', () => {
    type Entry = { value: unknown; source: string; rejected?: { name: string; value?: string; reason: string } };
    type Explanation = { lifetimes: Record<string, Entry>; warnings: Array<{ code: string; parameter: string; value: unknown; message: string }> } & Record<string, unknown>;

    const explain = async (query: Record<string, string> = {}): Promise<Explanation> => {
      const response = await service.admin(`/admin/lifetimes?${new URLSearchParams(query).toString()}`);
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status: 200 });
      expect(response.headers.get('cache-control')).toBe('no-store');
      return JSON.parse(text) as Explanation;
    };

    it('every parameter, with its value and source', async () => {
      const explained = await explain({ client_id: web.client_id, audience: 'orders-api' });
      expect(Object.keys(explained.lifetimes).sort()).toEqual([...PARAMETER_NAMES].sort());
      for (const [name, entry] of Object.entries(explained.lifetimes)) {
        expect(['number', 'boolean', 'string'], name).toContain(typeof entry.value);
        expect(['default', 'global', 'client', 'audience', 'browser', 'guardrail'], name).toContain(entry.source);
      }
      expect(explained).toMatchObject({ client_id: web.client_id, client_type: 'confidential', audience: 'orders-api' });
      expect(Array.isArray(explained.warnings)).toBe(true);
    });

    it('each source: default, global, client, audience, browser and guardrail (with what was rejected)', async () => {
      const global = await explain();
      expect(global.lifetimes['authorization_code_ttl']).toEqual({ value: 600, source: 'default' });
      expect(global.lifetimes['access_token_ttl']).toEqual({ value: 900, source: 'default' });
      expect(global.lifetimes['id_token_ttl']).toEqual({ value: 240, source: 'global' });
      expect(global.lifetimes['device_code_ttl']).toMatchObject({
        value: 300,
        source: 'guardrail',
        rejected: { name: 'device_code_ttl', value: '999999', reason: expect.stringContaining('1800') },
      });

      const both = await explain({ client_id: web.client_id, audience: 'orders-api' });
      // Client 1200 and audience 600 both set it: the shorter wins.
      expect(both.lifetimes['access_token_ttl']).toEqual({ value: 600, source: 'audience' });
      expect(both.lifetimes['refresh_token_idle_ttl']).toEqual({ value: 86_400, source: 'client' });
      expect(both.lifetimes['id_token_ttl']).toEqual({ value: 240, source: 'global' });

      const clientOnly = await explain({ client_id: web.client_id, audience: 'billing-api' });
      expect(clientOnly.lifetimes['access_token_ttl']).toEqual({ value: 1200, source: 'client' });

      const audienceOnly = await explain({ audience: 'orders-api' });
      expect(audienceOnly.lifetimes['access_token_ttl']).toEqual({ value: 600, source: 'audience' });

      const browser = await explain({ client_id: spa.client_id });
      expect(browser).toMatchObject({ client_type: 'public' });
      expect(browser.lifetimes['access_token_ttl']).toEqual({ value: 300, source: 'browser' });

      const rejected = await explain({ client_id: broken.client_id });
      expect(rejected.lifetimes['access_token_ttl']).toMatchObject({
        value: 900,
        source: 'guardrail',
        rejected: { name: `clients/${broken.client_id}/access_token_ttl`, value: '100000', reason: expect.stringContaining('86400') },
      });
    });

    it('warnings: access_token_ttl 7200 warns ACCESS_TOKEN_TTL_LONG; the tuned client does not', async () => {
      const warned = await explain({ client_id: long.client_id });
      expect(warned.lifetimes['access_token_ttl']).toEqual({ value: 7200, source: 'client' });
      expect(warned.warnings).toContainEqual(
        expect.objectContaining({ code: 'ACCESS_TOKEN_TTL_LONG', parameter: 'access_token_ttl', value: 7200, message: expect.any(String) }),
      );
      const quiet = await explain({ client_id: web.client_id, audience: 'orders-api' });
      expect(quiet.warnings.map((warning) => warning.code)).not.toContain('ACCESS_TOKEN_TTL_LONG');
    });

    it('an unknown client: 404; a malformed audience: 400; no admin token: 401', async () => {
      const unknown = await service.admin(`/admin/lifetimes?client_id=${newFamilyId()}`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: 'not_found' });
      for (const audience of ['a/b', 'has space', 'x\u0000y', 'ä']) {
        const bad = await service.admin(`/admin/lifetimes?${new URLSearchParams({ audience }).toString()}`);
        expect(bad.status, audience).toBe(400);
        expect(await bad.json()).toMatchObject({ error: 'invalid_request' });
      }
      expect((await fetch(`${service.url}/admin/lifetimes`)).status).toBe(401);
    });

    describe('the explanation is what /token issues', () => {
      it.each([
        ['client and audience overrides (the shorter, the audience’s)', () => web, 'orders-api'],
        ['the client override alone', () => web, 'billing-api'],
        ['a public client (browser, shorter than its audience’s)', () => spa, 'orders-api'],
        ['a long, warned lifetime', () => long, 'reports-api'],
        ['a rejected client override (the guardrail’s value)', () => broken, 'reports-api'],
      ])('%s: expires_in of the code exchange and of a refresh == lifetimes.access_token_ttl.value', async (_why, who, audience) => {
        const client = who();
        const explained = await explain({ client_id: client.client_id, audience });
        const { tokens } = await loginTokens(service, client, { params: { resource: audience }, accept: { subject: uniqueSubject() } });
        expect(decodeJwt(tokens.access_token).aud).toBe(audience);
        expect(tokens.expires_in).toBe(explained.lifetimes['access_token_ttl']!.value);
        const access = decodeJwt(tokens.access_token);
        expect(access.exp! - access.iat!).toBe(explained.lifetimes['access_token_ttl']!.value);
        const id = decodeJwt(tokens.id_token!);
        expect(id.exp! - id.iat!).toBe(explained.lifetimes['id_token_ttl']!.value);
        const refreshed = await expectTokens(await refresh(service, client, tokens.refresh_token!));
        expect(refreshed.expires_in).toBe(explained.lifetimes['access_token_ttl']!.value);
      });

      it('client credentials: expires_in == lifetimes.client_credentials_token_ttl.value', async () => {
        const explained = await explain({ client_id: m2m.client_id, audience: 'orders-api' });
        expect(explained.lifetimes['client_credentials_token_ttl']).toEqual({ value: 1800, source: 'client' });
        const tokens = await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials', scope: 'orders:read' }, m2m));
        expect(tokens.expires_in).toBe(1800);
      });
    });
  });
});
