import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import { decodeRefreshToken } from '../../functions/oauth/tokens/refresh-token.ts';
import type { Browser } from '../support/browser.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import {
  authorizationRequest,
  exchangeCode,
  expectCodeAtOnce,
  expectRedirectError,
  expectTokenError,
  expectTokens,
  loginTokens,
  newClient,
  refresh,
  startOfNextSecond,
  uniqueSubject,
  userinfoRequest,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const familyOf = (refreshToken: string) => decodeRefreshToken(refreshToken)!.familyId;
const now = () => Math.floor(Date.now() / 1000);
const FAMILY_FIELDS = ['absolute_expires_at', 'audience', 'client_id', 'created_at', 'expires_at', 'family_id', 'generation', 'last_used_at', 'scope'];
const SESSION_FIELDS = ['acr', 'amr', 'client_id', 'created_at', 'expires_at', 'last_seen_at', 'sid'];
const DEFAULT_IDLE = 2_592_000;
const DEFAULT_ABSOLUTE = 31_536_000;
const MOBILE_IDLE = 3_600;
const SESSION_IDLE = 1_800;

interface ListedFamily {
  family_id: string;
  client_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  absolute_expires_at: number;
  scope: string;
  audience: string;
  generation: number;
}
interface ListedSession {
  sid: string;
  client_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  acr: string | null;
  amr: string[] | null;
}

/** One SSO session of the user and the families its browser got: one login, then codes at once. */
interface SessionFixture {
  readonly browser: Browser;
  readonly sid: string;
  readonly client: TestClient;
  /** The current refresh token of each family, by family id (kept current as tests refresh). */
  readonly tokens: Map<string, string>;
  readonly accessToken: string;
}

/**
 * Point 6 of the lifecycle issue: a user's families and SSO sessions listed by subject, and the
 * operator ending one family, one session (with or without its families), or the whole user.
 */
describe('a user’s sessions in the operator’s hands', () => {
  let service: TestServer;
  let web: TestClient;
  /** Its own idle lifetime (1 h), so `expires_at` shows the idle lifetime of each family's client. */
  let mobile: TestClient;
  const dynamo = localDynamoClient();

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    [web, mobile] = await Promise.all([newClient(service), newClient(service, { client_name: 'mobile' })]);
    await writeParameters(service, { introspection_cache_ttl: 0, clients: { [mobile.client_id]: { refresh_token_idle_ttl: MOBILE_IDLE } } });
  });
  afterAll(async () => {
    await service.server.close();
  });

  const path = (subject: string, kind: 'families' | 'sessions', cursor?: string) =>
    `/admin/users/${encodeURIComponent(subject)}/${kind}${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`;

  async function getJson<T>(route: string): Promise<T> {
    const response = await service.admin(route);
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: 200 });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return JSON.parse(text) as T;
  }

  /** Every page of a listing, following `next_cursor`. */
  async function pages<T>(subject: string, kind: 'families' | 'sessions'): Promise<T[][]> {
    const all: T[][] = [];
    let cursor: string | undefined;
    do {
      const page = await getJson<Record<string, unknown>>(path(subject, kind, cursor));
      expect(Object.keys(page).filter((key) => key !== 'next_cursor')).toEqual([kind]);
      all.push(page[kind] as T[]);
      cursor = page['next_cursor'] as string | undefined;
      if (cursor !== undefined) expect(typeof cursor).toBe('string');
      expect(all.length).toBeLessThan(20);
    } while (cursor !== undefined);
    return all;
  }
  const families = async (subject: string) => (await pages<ListedFamily>(subject, 'families')).flat();
  const sessions = async (subject: string) => (await pages<ListedSession>(subject, 'sessions')).flat();

  const deleteRoute = (route: string) => service.admin(route, { method: 'DELETE' });
  async function expectNoContent(response: Response): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: 204, text: '' });
  }

  /** Newest first: creation time, then id, both descending. */
  const newestFirst = <T>(entries: readonly T[], createdAt: (entry: T) => number, id: (entry: T) => string): T[] =>
    [...entries].sort((a, b) => createdAt(b) - createdAt(a) || (id(b) < id(a) ? -1 : id(b) > id(a) ? 1 : 0));

  /** The browser's session must still sign it in: prompt=none gives a code. */
  const expectSignedIn = async (browser: Browser, client: TestClient) =>
    expectCodeAtOnce(browser, await authorizationRequest(service, client, { prompt: 'none' }), service.url);
  /** The browser's cookie must no longer sign it in: prompt=none is login_required. */
  const expectLoginRequired = async (browser: Browser, client: TestClient) => {
    const request = await authorizationRequest(service, client, { prompt: 'none' });
    expectRedirectError(await browser.get(request.url), client.redirect_uri, service.url, 'login_required', request.state);
  };

  async function startSession(subject: string, client: TestClient, count: number, accept: Record<string, unknown>): Promise<SessionFixture> {
    const { tokens, browser } = await loginTokens(service, client, { accept: { subject, ...accept } });
    const sid = decodeJwt(tokens.id_token!)['sid'] as string;
    const byFamily = new Map([[familyOf(tokens.refresh_token!), tokens.refresh_token!]]);
    for (let index = 1; index < count; index += 1) {
      const request = await authorizationRequest(service, client);
      const callback = await expectCodeAtOnce(browser, request, service.url);
      const more = await expectTokens(await exchangeCode(service, client, callback.searchParams.get('code')!, request.verifier));
      expect(decodeJwt(more.id_token!)['sid']).toBe(sid);
      byFamily.set(familyOf(more.refresh_token!), more.refresh_token!);
    }
    return { browser, sid, client, tokens: byFamily, accessToken: tokens.access_token };
  }

  /** Refreshes a family and keeps its new refresh token. */
  async function refreshes(session: SessionFixture, familyId: string): Promise<void> {
    const tokens = await expectTokens(await refresh(service, session.client, session.tokens.get(familyId)!));
    session.tokens.set(familyId, tokens.refresh_token!);
  }
  const refused = async (session: SessionFixture, familyId: string) =>
    expectTokenError(await refresh(service, session.client, session.tokens.get(familyId)!), 400, 'invalid_grant');

  /** An access token as the token endpoint would sign it now, for userinfo: nothing of an earlier login in it. */
  async function freshAccessToken(subject: string): Promise<string> {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(process.env['LIFESPAN_LOCAL_KEY_FILE']!, 'RS256'));
    const issuedAt = now();
    return signer.signJwt(
      { iss: service.url, sub: subject, aud: 'orders-api', client_id: web.client_id, scope: 'openid profile', jti: randomUUID(), iat: issuedAt, exp: issuedAt + 300 },
      'at+jwt',
    );
  }

  describe('a user with 50 families and 3 sessions', () => {
    const subject = uniqueSubject('ada');
    let started: number;
    let ready: number;
    /** web, 20 families, acr and amr. */
    let first: SessionFixture;
    /** mobile, 15 families, neither acr nor amr. */
    let second: SessionFixture;
    /** web, 15 families, amr only. */
    let third: SessionFixture;
    const claims = { name: 'Ada Lovelace', email: 'ada@example.com' };
    const all = () => [first, second, third];
    const sessionOf = (familyId: string) => all().find((session) => session.tokens.has(familyId))!;

    beforeAll(async () => {
      started = now();
      first = await startSession(subject, web, 20, { acr: 'urn:example:mfa', amr: ['pwd', 'otp'], claims });
      second = await startSession(subject, mobile, 15, { claims });
      third = await startSession(subject, web, 15, { amr: ['pwd'], claims });
      ready = now();
    }, 120_000);

    it('lists the 50 live families, every field right, in pages of 20 newest first, each exactly once', async () => {
      const listed = await pages<ListedFamily>(subject, 'families');
      expect(listed.map((page) => page.length)).toEqual([20, 20, 10]);
      const flat = listed.flat();
      const ids = flat.map((family) => family.family_id);
      expect(new Set(ids).size).toBe(50);
      expect(new Set(ids)).toEqual(new Set(all().flatMap((session) => [...session.tokens.keys()])));
      expect(flat).toEqual(newestFirst(flat, (family) => family.created_at, (family) => family.family_id));
      for (const family of flat) {
        expect(Object.keys(family).sort()).toEqual(FAMILY_FIELDS);
        const idle = sessionOf(family.family_id).client === mobile ? MOBILE_IDLE : DEFAULT_IDLE;
        expect(family).toEqual({
          family_id: family.family_id,
          client_id: sessionOf(family.family_id).client.client_id,
          created_at: expect.any(Number),
          last_used_at: family.created_at,
          expires_at: family.created_at + idle,
          absolute_expires_at: family.created_at + DEFAULT_ABSOLUTE,
          scope: 'openid offline_access orders:read',
          audience: 'orders-api',
          generation: 0,
        });
        expect(family.created_at).toBeGreaterThanOrEqual(started);
        expect(family.created_at).toBeLessThanOrEqual(ready);
      }
      // The same values as the family's own view.
      for (const family of flat.slice(0, 5).concat(flat.slice(-5))) {
        const timeline = await getJson<Record<string, unknown>>(`/admin/families/${family.family_id}`);
        for (const field of FAMILY_FIELDS) expect(family[field as keyof ListedFamily], field).toEqual(timeline[field]);
      }
      // A listing is read-only: the same again.
      expect(await families(subject)).toEqual(flat);
    });

    it('shows a refresh: the next generation, its last use, and its expiry slid with it', async () => {
      const [familyId] = [...second.tokens.keys()];
      const before = (await families(subject)).find((family) => family.family_id === familyId)!;
      await startOfNextSecond();
      await refreshes(second, familyId!);
      const after = (await families(subject)).find((family) => family.family_id === familyId)!;
      expect(after.generation).toBe(1);
      expect(after.last_used_at).toBeGreaterThan(before.last_used_at);
      expect(after.expires_at).toBe(after.last_used_at + MOBILE_IDLE);
      expect({ ...after, generation: 0, last_used_at: 0, expires_at: 0 }).toEqual({ ...before, generation: 0, last_used_at: 0, expires_at: 0 });
    });

    it('lists the 3 sessions by the ID token’s sid, never by the cookie, with every field', async () => {
      const listed = await pages<ListedSession>(subject, 'sessions');
      expect(listed.map((page) => page.length)).toEqual([3]);
      const [flat] = listed as [ListedSession[]];
      expect(flat).toEqual(newestFirst(flat, (session) => session.created_at, (session) => session.sid));
      expect(new Set(flat.map((session) => session.sid))).toEqual(new Set([first.sid, second.sid, third.sid]));
      const expected = new Map([
        [first.sid, { client_id: web.client_id, acr: 'urn:example:mfa', amr: ['pwd', 'otp'] }],
        [second.sid, { client_id: mobile.client_id, acr: null, amr: null }],
        [third.sid, { client_id: web.client_id, acr: null, amr: ['pwd'] }],
      ]);
      for (const session of flat) {
        expect(Object.keys(session).sort()).toEqual(SESSION_FIELDS);
        expect(session).toEqual({
          sid: session.sid,
          ...expected.get(session.sid),
          created_at: expect.any(Number),
          last_seen_at: expect.any(Number),
          expires_at: session.last_seen_at + SESSION_IDLE,
        });
        expect(session.created_at).toBeGreaterThanOrEqual(started);
        expect(session.last_seen_at).toBeGreaterThanOrEqual(session.created_at);
        expect(session.last_seen_at).toBeLessThanOrEqual(now());
      }
      const text = JSON.stringify(flat);
      for (const { browser } of all()) for (const cookie of browser.cookies.values()) expect(text).not.toContain(cookie);
    });

    it('refuses a malformed, tampered or borrowed cursor with 400 invalid_request, and changes nothing', async () => {
      const firstPage = await getJson<{ families: ListedFamily[]; next_cursor: string }>(path(subject, 'families'));
      const cursor = firstPage.next_cursor;
      const [payload, check] = cursor.split('.') as [string, string];
      const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
      const decoded = Buffer.from(payload, 'base64url').toString();
      const otherTime = Buffer.from(decoded.replace(/:(\d+):/, (_all, time: string) => `:${Number(time) + 1}:`)).toString('base64url');
      const bad = [
        'garbage',
        '',
        '.',
        'a.b.c',
        '%%%',
        `${payload}.`,
        `.${check}`,
        `${flip(payload, 3)}.${check}`,
        `${payload}.${flip(check, 0)}`,
        `${otherTime}.${check}`,
        `${Buffer.from('families:1:AAAAAAAAAAAAAAAAAAAAAA').toString('base64url')}.${check}`,
        `${Buffer.from('{"pk":{"S":"PROFILE#x"}}').toString('base64url')}.${check}`,
        'x'.repeat(5000),
      ];
      for (const candidate of bad) {
        const response = await service.admin(path(subject, 'families', candidate));
        await expectTokenError(response, 400, 'invalid_request');
      }
      // Another listing's, or another user's.
      await expectTokenError(await service.admin(path(subject, 'sessions', cursor)), 400, 'invalid_request');
      await expectTokenError(await service.admin(path(uniqueSubject(), 'families', cursor)), 400, 'invalid_request');
      await expectTokenError(await service.admin(`${path(subject, 'families', cursor)}&cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_request');
      // The genuine one still works, and the listing is as it was.
      const secondPage = await getJson<{ families: ListedFamily[] }>(path(subject, 'families', cursor));
      expect(secondPage.families).toHaveLength(20);
      expect(await families(subject)).toHaveLength(50);
    });

    it('lists nothing of this user under another subject, nor under one that merely starts like it', async () => {
      const other = uniqueSubject('other');
      const { tokens } = await loginTokens(service, web, { accept: { subject: other } });
      expect((await families(other)).map((family) => family.family_id)).toEqual([familyOf(tokens.refresh_token!)]);
      expect((await sessions(other)).map((session) => session.sid)).toEqual([decodeJwt(tokens.id_token!)['sid']]);
      for (const near of [subject.slice(0, -1), `${subject}x`, subject.toUpperCase()]) {
        expect(await families(near)).toEqual([]);
        expect(await sessions(near)).toEqual([]);
      }
    });

    it('DELETE /admin/families/{id}: that family is refused (reason admin in its timeline), the others still refresh; again is 204', async () => {
      const [ended, kept] = [...third.tokens.keys()];
      await expectNoContent(await deleteRoute(`/admin/families/${ended}`));
      await refused(third, ended!);
      await refreshes(third, kept!);
      await refreshes(first, [...first.tokens.keys()][0]!);
      await refreshes(second, [...second.tokens.keys()][1]!);
      const timeline = await getJson<{ state: string; revoked_reason: string; events: Array<Record<string, unknown>> }>(`/admin/families/${ended}`);
      expect(timeline).toMatchObject({ state: 'revoked', revoked_reason: 'admin' });
      expect(timeline.events.at(-1)).toMatchObject({ type: 'revoked', reason: 'admin' });
      const listed = await families(subject);
      expect(listed).toHaveLength(49);
      expect(listed.map((family) => family.family_id)).not.toContain(ended);
      await expectNoContent(await deleteRoute(`/admin/families/${ended}`));
      expect(await getJson(`/admin/families/${ended}`)).toMatchObject({ revoked_reason: 'admin' });
      third.tokens.delete(ended!);
    });

    it('DELETE /admin/sessions/{sid}: that browser’s cookie no longer signs in (prompt=none: login_required), the other sessions and its families still work', async () => {
      await expectNoContent(await deleteRoute(`/admin/sessions/${second.sid}`));
      await expectLoginRequired(second.browser, mobile);
      await expectSignedIn(first.browser, web);
      await expectSignedIn(third.browser, web);
      await refreshes(second, [...second.tokens.keys()][2]!);
      expect((await sessions(subject)).map((session) => session.sid).sort()).toEqual([first.sid, third.sid].sort());
      expect(await families(subject)).toHaveLength(49);
      // Ending an ended session again: 204, and still ended.
      await expectNoContent(await deleteRoute(`/admin/sessions/${second.sid}`));
      await expectLoginRequired(second.browser, mobile);
    });

    it('DELETE /admin/sessions/{sid}?revoke_families=true: the session ends and every family it started is refused; the others live', async () => {
      await expectNoContent(await deleteRoute(`/admin/sessions/${third.sid}?revoke_families=true`));
      await expectLoginRequired(third.browser, web);
      expect(third.tokens.size).toBe(14);
      for (const familyId of third.tokens.keys()) await refused(third, familyId);
      const timeline = await getJson(`/admin/families/${[...third.tokens.keys()][0]}`);
      expect(timeline).toMatchObject({ state: 'revoked', revoked_reason: 'admin' });
      await expectSignedIn(first.browser, web);
      await refreshes(first, [...first.tokens.keys()][1]!);
      await refreshes(second, [...second.tokens.keys()][3]!);
      const listed = await families(subject);
      expect(new Set(listed.map((family) => family.family_id))).toEqual(new Set([...first.tokens.keys(), ...second.tokens.keys()]));
      expect((await sessions(subject)).map((session) => session.sid)).toEqual([first.sid]);
    });

    it('DELETE /admin/users/{subject}: every family refused, every session ended, access tokens and codes dead, the login claims erased, nothing listed', async () => {
      // Before: the stored claims are what userinfo releases, and a code is waiting to be exchanged.
      expect(await (await userinfoRequest(service, await freshAccessToken(subject))).json()).toEqual({ sub: subject, name: claims.name });
      expect((await userinfoRequest(service, first.accessToken)).status).toBe(200);
      const pending = await authorizationRequest(service, web);
      const code = (await expectCodeAtOnce(first.browser, pending, service.url)).searchParams.get('code')!;

      await expectNoContent(await deleteRoute(`/admin/users/${encodeURIComponent(subject)}`));

      for (const session of [first, second]) for (const familyId of session.tokens.keys()) await refused(session, familyId);
      for (const session of all()) await expectLoginRequired(session.browser, session.client);
      await expectTokenError(await exchangeCode(service, web, code, pending.verifier), 400, 'invalid_grant');
      expect((await userinfoRequest(service, first.accessToken)).status).toBe(401);
      expect(await getJson(path(subject, 'families'))).toEqual({ families: [] });
      expect(await getJson(path(subject, 'sessions'))).toEqual({ sessions: [] });
      const timeline = await getJson(`/admin/families/${[...first.tokens.keys()][0]}`);
      expect(timeline).toMatchObject({ state: 'revoked', revoked_reason: 'admin' });
      // The claims are gone from the table, so a token issued after the erasure gets only `sub`.
      const profile = await dynamo.send(
        new GetItemCommand({ TableName: service.tableName, Key: { pk: { S: `PROFILE#${subject}` }, sk: { S: 'PROFILE' } }, ConsistentRead: true }),
      );
      expect(profile.Item).toBeUndefined();
      await startOfNextSecond();
      expect(await (await userinfoRequest(service, await freshAccessToken(subject))).json()).toEqual({ sub: subject });
      // The sessions' sids are forgotten too: the live one's, and the ended one's whose families lived on.
      await expectTokenError(await deleteRoute(`/admin/sessions/${first.sid}`), 404, 'not_found');
      await expectTokenError(await deleteRoute(`/admin/sessions/${second.sid}`), 404, 'not_found');
      // Repeating it is harmless.
      await expectNoContent(await deleteRoute(`/admin/users/${encodeURIComponent(subject)}`));
    });

    it('after the erasure the user can sign in again, and is listed afresh', async () => {
      await startOfNextSecond();
      const { tokens } = await loginTokens(service, web, { accept: { subject } });
      await expectTokens(await refresh(service, web, tokens.refresh_token!));
      expect((await families(subject)).map((family) => family.family_id)).toEqual([familyOf(tokens.refresh_token!)]);
      expect((await sessions(subject)).map((session) => session.sid)).toEqual([decodeJwt(tokens.id_token!)['sid']]);
    });
  });

  describe('bad input: a clear error, never a 500, nothing changed', () => {
    const randomId = () => randomBytes(16).toString('base64url');

    it('an unknown or malformed family id: 404 not_found', async () => {
      for (const id of [randomId(), 'x', 'a'.repeat(300), '%00', '%E0%A4%A', encodeURIComponent('ü'.repeat(22))]) {
        await expectTokenError(await deleteRoute(`/admin/families/${id}`), 404, 'not_found');
      }
    });

    it('an unknown or malformed sid: 404 not_found', async () => {
      for (const sid of [randomId(), 'x', 'a'.repeat(300), '%00', '%E0%A4%A']) {
        await expectTokenError(await deleteRoute(`/admin/sessions/${sid}`), 404, 'not_found');
        await expectTokenError(await deleteRoute(`/admin/sessions/${sid}?revoke_families=true`), 404, 'not_found');
      }
    });

    it('revoke_families other than true or false: 400, and the session is not ended', async () => {
      const { tokens, browser } = await loginTokens(service, web, { accept: { subject: uniqueSubject() } });
      const sid = decodeJwt(tokens.id_token!)['sid'] as string;
      for (const query of ['revoke_families=yes', 'revoke_families=1', 'revoke_families=true&revoke_families=true']) {
        await expectTokenError(await deleteRoute(`/admin/sessions/${sid}?${query}`), 400, 'invalid_request');
      }
      await expectSignedIn(browser, web);
      await expectTokens(await refresh(service, web, tokens.refresh_token!));
    });

    it('subjects with odd characters (URL-encoded, #, /, %, quotes) are listed and erased like any other', async () => {
      // A login's subject is printable ASCII (OIDC Core §2), so these are the odd ones left.
      for (const odd of [`zo%C3%AB%20${randomUUID()}`, `a/b#c?d%e&f=${randomUUID()}`, `USER#${randomUUID()}`, `<x\y="z">'${randomUUID()}`]) {
        const { tokens } = await loginTokens(service, web, { accept: { subject: odd } });
        expect((await families(odd)).map((family) => family.family_id)).toEqual([familyOf(tokens.refresh_token!)]);
        expect(await sessions(odd)).toHaveLength(1);
        await expectNoContent(await deleteRoute(`/admin/users/${encodeURIComponent(odd)}`));
        expect(await families(odd)).toEqual([]);
        expect(await sessions(odd)).toEqual([]);
        await expectTokenError(await refresh(service, web, tokens.refresh_token!), 400, 'invalid_grant');
      }
    });

    it('a subject no login could have (a control character, over 255 characters): 400 on every route', async () => {
      for (const bad of ['%00', '%1F', 'a%0Ab', 'a'.repeat(256)]) {
        for (const [method, route] of [
          ['GET', `/admin/users/${bad}/families`],
          ['GET', `/admin/users/${bad}/sessions`],
          ['DELETE', `/admin/users/${bad}`],
        ] as const) {
          await expectTokenError(await service.admin(route, { method }), 400, 'invalid_request');
        }
      }
      // Not valid percent-encoding: taken as it is, and nobody by that name exists.
      for (const kind of ['families', 'sessions'] as const) {
        expect(await getJson(`/admin/users/%E0%A4%A/${kind}`)).toEqual({ [kind]: [] });
      }
    });

    it('every route refuses without the admin token, or with a wrong one (401), and ends nothing', async () => {
      const subject = uniqueSubject();
      const { tokens, browser } = await loginTokens(service, web, { accept: { subject } });
      const sid = decodeJwt(tokens.id_token!)['sid'] as string;
      const routes = [
        ['GET', `/admin/users/${subject}/families`],
        ['GET', `/admin/users/${subject}/sessions`],
        ['DELETE', `/admin/families/${familyOf(tokens.refresh_token!)}`],
        ['DELETE', `/admin/sessions/${sid}?revoke_families=true`],
        ['DELETE', `/admin/users/${subject}`],
      ] as const;
      for (const [method, route] of routes) {
        for (const headers of [{}, { authorization: 'Bearer not-the-admin-token' }, { authorization: `Basic ${service.adminToken}` }] as Array<Record<string, string>>) {
          const response = await fetch(`${service.url}${route}`, { method, headers });
          expect(response.status, `${method} ${route}`).toBe(401);
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
          const text = await response.text();
          expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['error', 'error_description']);
          expect(text).not.toContain(sid);
        }
      }
      await expectSignedIn(browser, web);
      await expectTokens(await refresh(service, web, tokens.refresh_token!));
      expect(await families(subject)).toHaveLength(1);
    });
  });
});
