import { readFile } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../functions/events/security-event.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { decodeRefreshToken } from '../../functions/oauth/tokens/refresh-token.ts';
import { Browser } from '../support/browser.ts';
import {
  adminJson,
  authorizationRequest,
  exchangeCode,
  expectLoginChallenge,
  expectTokens,
  loginTokens,
  newClient,
  refresh,
  rejectRaw,
  revokeRequest,
  sleep,
  tokenRequest,
  uniqueSubject,
  userinfoRequest,
  writeParameters,
  codeFor,
  type TestClient,
  type Tokens,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { eventLike, eventsMatching, publishedEvents, type EventLine } from '../support/security-events.ts';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The fields an event may carry: anything else would be something copied that should not be. */
const FIELDS = new Set([
  'detail-type', 'id', 'time', 'stage', 'subject', 'client_id', 'family_id', 'sid', 'reason', 'request_id', 'scope', 'window_ends_at',
  'parameter', 'value', 'flow', 'acr', 'amr', 'client_name', 'client_type', 'ssf_event_type', 'set',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every security event a test can cause, through the local server: `npm start`'s events function
 * reads the table's stream (the local poller) and appends each event to events.jsonl.
 */
describe('security events in events.jsonl', () => {
  let service: TestServer;
  let web: TestClient;
  /** Every token, secret, code and challenge the tests handled: none may appear in an event, nor its hash. */
  const secrets = new Set<string>();
  const keep = (tokens: Tokens) => {
    for (const value of [tokens.access_token, tokens.refresh_token, tokens.id_token]) if (value) secrets.add(value);
    if (tokens.refresh_token) secrets.add(decodeRefreshToken(tokens.refresh_token)!.secret);
    return tokens;
  };
  const login = async (client: TestClient = web, subject = uniqueSubject()) => {
    const { tokens, browser } = await loginTokens(service, client, { accept: { subject, amr: ['pwd'] } });
    return { tokens: keep(tokens), browser, subject, sid: decodeJwt(tokens.id_token!)['sid'] as string, familyId: decodeRefreshToken(tokens.refresh_token!)!.familyId };
  };

  beforeAll(async () => {
    service = await startTestServer({ parameters: { client_auth_failure_limit: 2, rate_limit_window: 3600, revoke_all_on_logout: true } });
    web = await newClient(service);
    if (web.client_secret) secrets.add(web.client_secret);
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('writes each event as one JSON line: its detail-type, a UUID id, the time, the stage', async () => {
    const { subject } = await login();
    // The events function publishes from the stream, a poll later: wait for this login's event first.
    await eventsMatching(service, (event) => event['detail-type'] === DETAIL_TYPES.login_accepted && event['subject'] === subject);
    const lines = (await readFile(service.eventsFile, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const event = JSON.parse(line) as EventLine;
      expect(Object.values(DETAIL_TYPES)).toContain(event['detail-type']);
      expect(event.id).toMatch(UUID);
      expect(Date.parse(event.time)).toBeGreaterThan(Date.now() - 600_000);
      expect(event.time).toBe(new Date(Date.parse(event.time)).toISOString());
      expect(event.stage).toBe('test');
    }
  });

  it('a replayed refresh token: Refresh Token Reuse Detected and the family revoked (reuse), naming the user, client, family, session and request', async () => {
    const { tokens, subject, sid, familyId } = await login();
    keep(await expectTokens(await refresh(service, web, tokens.refresh_token!)));
    expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
    const reuse = await eventLike(service, 'Refresh Token Reuse Detected', { family_id: familyId });
    expect(reuse).toEqual({
      'detail-type': 'Refresh Token Reuse Detected',
      id: expect.stringMatching(UUID),
      time: expect.any(String),
      stage: 'test',
      subject,
      client_id: web.client_id,
      family_id: familyId,
      sid,
      request_id: expect.stringMatching(/^.{8,}$/),
    });
    const revoked = await eventLike(service, 'Refresh Token Family Revoked', { family_id: familyId });
    expect(revoked).toMatchObject({ subject, client_id: web.client_id, sid, reason: 'reuse', request_id: reuse['request_id'], ssf_event_type: `${CAEP}session-revoked` });
    expect(revoked.id).not.toBe(reuse.id);
  });

  it('a family revoked by its client (RFC 7009: revoked), by an operator (admin), by a replayed code (code_replay)', async () => {
    const byClient = await login();
    expect((await revokeRequest(service, web, byClient.tokens.refresh_token)).status).toBe(200);
    await eventLike(service, 'Refresh Token Family Revoked', { family_id: byClient.familyId, reason: 'revoked', subject: byClient.subject });

    const byOperator = await login();
    expect((await service.admin(`/admin/families/${byOperator.familyId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await service.admin(`/admin/families/${byOperator.familyId}`, { method: 'DELETE' })).status).toBe(204);
    await eventLike(service, 'Refresh Token Family Revoked', { family_id: byOperator.familyId, reason: 'admin' });

    const subject = uniqueSubject();
    const { code, request } = await codeFor(service, web, {}, { subject });
    secrets.add(code).add(request.verifier);
    const first = keep(await expectTokens(await exchangeCode(service, web, code, request.verifier)));
    expect((await exchangeCode(service, web, code, request.verifier)).status).toBe(400);
    await eventLike(service, 'Refresh Token Family Revoked', { family_id: decodeRefreshToken(first.refresh_token!)!.familyId, reason: 'code_replay', subject });
    // Revoked once each: a second revocation of the same family changes nothing, and shows nothing.
    await sleep(1_000);
    expect((await publishedEvents(service)).filter((event) => event['family_id'] === byOperator.familyId)).toHaveLength(1);
  });

  it('a bulk revocation of a user: Bulk Revocation (scope user) and the end of all their SSO sessions; the family then seen is revoked (marker)', async () => {
    const { tokens, subject, familyId } = await login();
    expect((await adminJson(service, '/admin/revocations', { scope: 'user', id: subject })).status).toBe(200);
    const bulk = await eventLike(service, 'Bulk Revocation', { subject });
    expect(bulk).toMatchObject({ scope: 'user', reason: 'admin', request_id: expect.any(String), ssf_event_type: 'https://schemas.openid.net/secevent/oauth/event-type/tokens-revoked' });
    const sessions = await eventLike(service, 'SSO Session Ended', { subject });
    expect(sessions).toMatchObject({ reason: 'admin', ssf_event_type: `${RISC}sessions-revoked` });
    expect(sessions['sid']).toBeUndefined();
    expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
    await eventLike(service, 'Refresh Token Family Revoked', { family_id: familyId, reason: 'marker' });
  });

  it('a user event is received whatever it revokes, with its CAEP / RISC counterpart; what the policy revokes follows with the same reason', async () => {
    const changed = await login();
    expect((await adminJson(service, `/admin/users/${changed.subject}/events`, { type: 'password_changed' })).status).toBe(200);
    expect(await eventLike(service, 'User Event Received', { subject: changed.subject })).toMatchObject({
      reason: 'password_changed',
      request_id: expect.any(String),
      ssf_event_type: `${CAEP}credential-change`,
    });
    await eventLike(service, 'Bulk Revocation', { subject: changed.subject, scope: 'user', reason: 'password_changed' });
    await eventLike(service, 'SSO Session Ended', { subject: changed.subject, reason: 'password_changed' });

    const mfa = uniqueSubject();
    expect((await adminJson(service, `/admin/users/${mfa}/events`, { type: 'mfa_changed' })).status).toBe(200);
    const received = await eventLike(service, 'User Event Received', { subject: mfa });
    expect(received['reason']).toBe('mfa_changed');
    expect(received['ssf_event_type']).toBeUndefined();

    const stolen = uniqueSubject();
    expect((await adminJson(service, `/admin/users/${stolen}/events`, { type: 'compromised' })).status).toBe(200);
    expect(await eventLike(service, 'User Event Received', { subject: stolen })).toMatchObject({ reason: 'compromised', ssf_event_type: `${RISC}account-credential-change-required` });
    await eventLike(service, 'Bulk Revocation', { subject: stolen, reason: 'compromised' });
    await eventLike(service, 'SSO Session Ended', { subject: stolen, reason: 'compromised' });

    // A refused user event is no event.
    const refused = uniqueSubject();
    expect((await adminJson(service, `/admin/users/${refused}/events`, { type: 'hacked' })).status).toBe(400);
    await sleep(1_000);
    expect((await publishedEvents(service)).filter((event) => event['subject'] === refused)).toEqual([]);
  });

  it('an SSO session ended by logout (with revoke_all_on_logout, a bulk revocation: logout) and by an operator (admin), once each', async () => {
    const out = await login();
    const logout = await out.browser.get(`${service.url}/logout?${new URLSearchParams({ id_token_hint: out.tokens.id_token! })}`);
    expect(logout.status).toBe(200);
    expect(await eventLike(service, 'SSO Session Ended', { sid: out.sid })).toMatchObject({
      subject: out.subject,
      client_id: web.client_id,
      reason: 'logout',
      request_id: expect.any(String),
      ssf_event_type: `${CAEP}session-revoked`,
    });
    await eventLike(service, 'Bulk Revocation', { subject: out.subject, scope: 'user', reason: 'logout' });

    const ended = await login();
    for (let i = 0; i < 2; i += 1) expect((await service.admin(`/admin/sessions/${ended.sid}`, { method: 'DELETE' })).status).toBe(204);
    await eventLike(service, 'SSO Session Ended', { sid: ended.sid, subject: ended.subject, reason: 'admin' });
    await sleep(1_000);
    expect((await publishedEvents(service)).filter((event) => event['sid'] === ended.sid && event['detail-type'] === 'SSO Session Ended')).toHaveLength(1);
  });

  it('clients registered and deleted; the deletion also revokes the client\'s tokens (Bulk Revocation, client_deleted)', async () => {
    const client = await newClient(service, { client_name: 'Doomed app' });
    if (client.client_secret) secrets.add(client.client_secret);
    expect(await eventLike(service, 'Client Registered', { client_id: client.client_id })).toMatchObject({ client_name: 'Doomed app', client_type: 'confidential', request_id: expect.any(String) });
    expect((await service.admin(`/admin/clients/${client.client_id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await eventLike(service, 'Client Deleted', { client_id: client.client_id })).toMatchObject({ client_name: 'Doomed app', client_type: 'confidential' });
    expect(await eventLike(service, 'Bulk Revocation', { client_id: client.client_id })).toMatchObject({ scope: 'client', reason: 'client_deleted', request_id: expect.any(String) });
  });

  it('a rate limit tripped: one event per key and window, however many requests it refuses', async () => {
    const target = await newClient(service, { grant_types: ['client_credentials'], redirect_uris: undefined, scopes: ['orders:read'] });
    const wrong = { client_id: target.client_id, client_secret: 'not-the-secret' };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await tokenRequest(service, { grant_type: 'client_credentials' }, wrong)).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
    const tripped = await eventLike(service, 'Rate Limit Tripped', { client_id: target.client_id });
    expect(tripped).toMatchObject({ reason: 'client_auth_failures', request_id: expect.any(String) });
    expect(tripped['window_ends_at']).toBeGreaterThan(Date.now() / 1000);
    await sleep(1_000);
    expect((await publishedEvents(service)).filter((event) => event['detail-type'] === 'Rate Limit Tripped' && event['client_id'] === target.client_id)).toHaveLength(1);
  });

  it('logins accepted and rejected, in the browser and on a device', async () => {
    const { subject } = await login();
    expect(await eventLike(service, 'Login Accepted', { subject })).toMatchObject({ client_id: web.client_id, flow: 'browser', amr: ['pwd'], request_id: expect.any(String) });

    const request = await authorizationRequest(service, web);
    const { challenge } = await expectLoginChallenge(new Browser(), request.url);
    secrets.add(challenge);
    expect((await rejectRaw(service, challenge, { error: 'login_required' })).status).toBe(200);
    expect(await eventLike(service, 'Login Rejected', { client_id: web.client_id, flow: 'browser' })).toMatchObject({ reason: 'login_required', request_id: expect.any(String) });

    const tv = await newClient(service, { type: 'public', token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT], redirect_uris: undefined, scopes: ['openid'] });
    const authorize = async () => {
      const response = await fetch(`${service.url}/device_authorization`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: tv.client_id, scope: 'openid' }).toString(),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { device_code: string; user_code: string };
      secrets.add(body.device_code).add(body.user_code).add(body.user_code.replace('-', ''));
      return body;
    };
    const approved = await authorize();
    const deviceSubject = uniqueSubject('tv');
    expect((await adminJson(service, `/admin/device-requests/${approved.user_code}/accept`, { subject: deviceSubject }, 'PUT')).status).toBe(200);
    expect(await eventLike(service, 'Login Accepted', { subject: deviceSubject })).toMatchObject({ client_id: tv.client_id, flow: 'device' });
    const denied = await authorize();
    expect((await adminJson(service, `/admin/device-requests/${denied.user_code}/reject`, {}, 'PUT')).status).toBe(200);
    await eventLike(service, 'Login Rejected', { client_id: tv.client_id, flow: 'device', reason: 'access_denied' });
  });

  it('families found expired at a refresh (idle, absolute), once each; a family\'s rotation limit, once; a rejected configuration value, once, though every function re-reads it', async () => {
    const idle = await newClient(service);
    const absolute = await newClient(service);
    const limited = await newClient(service);
    await writeParameters(service, {
      client_auth_failure_limit: 2,
      // One window for the whole file: a limit's requests never straddle two.
      rate_limit_window: 3600,
      revoke_all_on_logout: true,
      access_token_ttl: 100_000,
      clients: {
        [idle.client_id]: { refresh_token_idle_ttl: 1 },
        [absolute.client_id]: { refresh_token_absolute_ttl: 1, refresh_token_idle_ttl: 1 },
        [limited.client_id]: { refresh_rate_limit: 1 },
      },
    });
    const busy = await login(limited);
    const next = keep(await expectTokens(await refresh(service, limited, busy.tokens.refresh_token!)));
    for (let i = 0; i < 3; i += 1) expect((await refresh(service, limited, next.refresh_token!)).status).toBe(429);
    expect(await eventLike(service, 'Rate Limit Tripped', { family_id: busy.familyId })).toMatchObject({ reason: 'refresh', subject: busy.subject, client_id: limited.client_id, sid: busy.sid });
    const a = await login(idle);
    const b = await login(absolute);
    await sleep(2_100);
    for (let i = 0; i < 2; i += 1) {
      expect((await refresh(service, idle, a.tokens.refresh_token!)).status).toBe(400);
      expect((await refresh(service, absolute, b.tokens.refresh_token!)).status).toBe(400);
    }
    expect(await eventLike(service, 'Refresh Token Family Expired', { family_id: a.familyId })).toMatchObject({ reason: 'idle', subject: a.subject, client_id: idle.client_id });
    expect(await eventLike(service, 'Refresh Token Family Expired', { family_id: b.familyId })).toMatchObject({ reason: 'absolute', subject: b.subject });

    const rejected = await eventLike(service, 'Configuration Value Rejected', { parameter: 'access_token_ttl' });
    expect(rejected).toMatchObject({ value: '100000', reason: expect.stringMatching(/86400/) });
    expect(rejected['request_id']).toBeUndefined();
    // Several reloads later, in several functions: still one event per family and one for the value.
    await sleep(2_200);
    expect((await userinfoRequest(service, a.tokens.access_token)).status).toBeGreaterThan(0);
    expect((await service.admin('/admin/lifetimes')).status).toBe(200);
    expect((await refresh(service, idle, a.tokens.refresh_token!)).status).toBe(400);
    await sleep(1_000);
    const events = await publishedEvents(service);
    expect(events.filter((event) => event['detail-type'] === 'Configuration Value Rejected')).toHaveLength(1);
    expect(events.filter((event) => event['detail-type'] === 'Refresh Token Family Expired' && event['family_id'] === a.familyId)).toHaveLength(1);
    expect(events.filter((event) => event['detail-type'] === 'Rate Limit Tripped' && event['family_id'] === busy.familyId)).toHaveLength(1);
    await writeParameters(service, { client_auth_failure_limit: 2, rate_limit_window: 3600, revoke_all_on_logout: true });
  });

  it('a global revocation (last: it ends everything): Bulk Revocation, scope global', async () => {
    expect((await adminJson(service, '/admin/revocations', { scope: 'global' })).status).toBe(200);
    const [global] = await eventsMatching(service, (event) => event['detail-type'] === 'Bulk Revocation' && event['scope'] === 'global');
    expect(global).toMatchObject({ reason: 'admin', request_id: expect.any(String) });
    expect(global!['subject']).toBeUndefined();
  });

  it('never carries a token, secret, code, challenge or a hash of one, nor any field but the catalogue\'s', async () => {
    const text = await readFile(service.eventsFile, 'utf8');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashSecret(secret));
    }
    for (const event of await publishedEvents(service)) {
      for (const field of Object.keys(event)) expect(FIELDS.has(field), `${event['detail-type']}: ${field}`).toBe(true);
    }
    // Every detail-type of the catalogue appeared.
    const seen = new Set((await publishedEvents(service)).map((event) => event['detail-type']));
    expect([...seen].sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    // No event twice.
    const ids = (await publishedEvents(service)).map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
