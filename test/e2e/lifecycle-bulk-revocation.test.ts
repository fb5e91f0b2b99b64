import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminJson,
  authorizationRequest,
  codeFor,
  exchangeCode,
  expectActive,
  expectCodeAtOnce,
  expectInactive,
  expectLoginChallenge,
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
import type { Browser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Bulk revocation through the admin API (revoke-all markers), seen at /token, /introspect, /userinfo and /authorize. */
describe('bulk revocation over HTTP', () => {
  let service: TestServer;
  let web: TestClient;
  let mobile: TestClient;

  beforeAll(async () => {
    service = await startTestServer({ parameters: { introspection_cache_ttl: 0 } });
    [web, mobile] = await Promise.all([newClient(service), newClient(service)]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const login = (subject: string, client: TestClient = web) => loginTokens(service, client, { accept: { subject } });
  const event = (subject: string, body: unknown) => adminJson(service, `/admin/users/${encodeURIComponent(subject)}/events`, body);

  /** The tokens must be dead everywhere: refresh refused, introspection inactive, userinfo 401. */
  async function expectDead(client: TestClient, tokens: { access_token: string; refresh_token?: string }): Promise<void> {
    await expectInactive(service, client, tokens.access_token);
    await expectInactive(service, client, tokens.refresh_token!);
    expect((await userinfoRequest(service, tokens.access_token)).status).toBe(401);
    await expectTokenError(await refresh(service, client, tokens.refresh_token!), 400, 'invalid_grant');
  }

  /** The tokens must still work: introspection active, userinfo 200, refresh 200. */
  async function expectAlive(client: TestClient, tokens: { access_token: string; refresh_token?: string }): Promise<void> {
    await expectActive(service, client, tokens.access_token);
    await expectActive(service, client, tokens.refresh_token!);
    expect((await userinfoRequest(service, tokens.access_token)).status).toBe(200);
    await expectTokens(await refresh(service, client, tokens.refresh_token!));
  }

  const hasSession = async (browser: Browser) => expectCodeAtOnce(browser, await authorizationRequest(service, web), service.url);
  const hasNoSession = async (browser: Browser) => expectLoginChallenge(browser, (await authorizationRequest(service, web)).url);

  describe('POST /admin/users/{subject}/events', () => {
    it('compromised: every token of the user dies and their SSO sessions end; other users keep theirs; a new login (next second) works', async () => {
      const subject = uniqueSubject('victim');
      const first = await login(subject, web);
      const second = await login(subject, mobile);
      const other = await login(uniqueSubject());

      const response = await event(subject, { type: 'compromised' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ subject, type: 'compromised', revoked: ['tokens', 'sessions'], valid_after: expect.any(Number) });

      await expectDead(web, first.tokens);
      await expectDead(mobile, second.tokens);
      await hasNoSession(first.browser);
      await hasNoSession(second.browser);
      await expectAlive(web, other.tokens);
      await hasSession(other.browser);

      await startOfNextSecond();
      const again = await login(subject, web);
      await expectAlive(web, again.tokens);
      await hasSession(again.browser);
    });

    it('password_changed: every token of the user dies and their SSO sessions end (sign out other devices); a new login (next second) works', async () => {
      const subject = uniqueSubject('changer');
      const { tokens, browser } = await login(subject);
      const other = await login(uniqueSubject());
      const response = await event(subject, { type: 'password_changed' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ subject, type: 'password_changed', revoked: ['tokens', 'sessions'] });
      await expectDead(web, tokens);
      await hasNoSession(browser);
      await expectAlive(web, other.tokens);
      await hasSession(other.browser);

      await startOfNextSecond();
      const again = await login(subject);
      await expectAlive(web, again.tokens);
      await hasSession(again.browser);
    });

    it('end_sessions_on_password_change=false: mfa_changed revokes the tokens; the session stays but issues nothing from the login before the change', async () => {
      await writeParameters(service, { introspection_cache_ttl: 0, end_sessions_on_password_change: false });
      try {
        const subject = uniqueSubject('mfa');
        const { tokens, browser } = await login(subject);
        const response = await event(subject, { type: 'mfa_changed' });
        expect(await response.json()).toMatchObject({ subject, type: 'mfa_changed', revoked: ['tokens'] });
        await expectDead(web, tokens);
        // Whatever the session would issue comes from the login before the change: a login is asked for.
        await hasNoSession(browser);
      } finally {
        await writeParameters(service, { introspection_cache_ttl: 0 });
      }
    });

    it('revoke_refresh_on_password_change=false: the tokens live, the sessions end', async () => {
      await writeParameters(service, { introspection_cache_ttl: 0, revoke_refresh_on_password_change: false });
      try {
        const subject = uniqueSubject('kept-tokens');
        const { tokens, browser } = await login(subject);
        const response = await event(subject, { type: 'password_changed' });
        expect(await response.json()).toMatchObject({ subject, type: 'password_changed', revoked: ['sessions'] });
        await expectAlive(web, tokens);
        await hasNoSession(browser);
      } finally {
        await writeParameters(service, { introspection_cache_ttl: 0 });
      }
    });

    it('both off: password_changed and mfa_changed revoke nothing', async () => {
      await writeParameters(service, { introspection_cache_ttl: 0, revoke_refresh_on_password_change: false, end_sessions_on_password_change: false });
      try {
        const subject = uniqueSubject('kept');
        const { tokens, browser } = await login(subject);
        for (const type of ['password_changed', 'mfa_changed']) {
          const response = await event(subject, { type });
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ subject, type, revoked: [] });
        }
        await expectAlive(web, tokens);
        await hasSession(browser);
      } finally {
        await writeParameters(service, { introspection_cache_ttl: 0 });
      }
    });

    it('compromised: an authorization code issued before the event yields no live tokens when exchanged after it', async () => {
      const subject = uniqueSubject('victim');
      const { code, request } = await codeFor(service, web, {}, { subject });
      expect((await event(subject, { type: 'compromised' })).status).toBe(200);
      await startOfNextSecond();
      const response = await exchangeCode(service, web, code, request.verifier);
      if (response.status === 200) await expectDead(web, (await response.json()) as { access_token: string; refresh_token?: string });
      else await expectTokenError(response, 400, 'invalid_grant');
    });

    it.each([
      ['an unknown type', { type: 'password_reset' }],
      ['no type', {}],
      ['a type that is not a string', { type: 7 }],
      ['an unknown field', { type: 'password_changed', also: 'everything' }],
      ['not an object', '[]'],
      ['not JSON', '{"type":'],
    ])('400 for %s, and nothing is revoked', async (_why, body) => {
      const subject = uniqueSubject('safe');
      const { tokens } = await login(subject);
      const response = await event(subject, body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
      await expectActive(service, web, tokens.refresh_token!);
    });

    it('401 without the admin token, and nothing is revoked', async () => {
      const subject = uniqueSubject('safe');
      const { tokens } = await login(subject);
      const response = await fetch(`${service.url}/admin/users/${subject}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'compromised' }),
      });
      expect(response.status).toBe(401);
      await expectActive(service, web, tokens.refresh_token!);
    });
  });

  describe('POST /admin/revocations', () => {
    it('{scope: client}: that client’s tokens die, for every user; the same users’ tokens of another client live; new ones (next second) work', async () => {
      const [alice, bob] = [uniqueSubject('alice'), uniqueSubject('bob')];
      const [aliceWeb, bobWeb, aliceMobile, bobMobile] = await Promise.all([login(alice, web), login(bob, web), login(alice, mobile), login(bob, mobile)]);
      const response = await adminJson(service, '/admin/revocations', { scope: 'client', id: web.client_id });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ scope: 'client', id: web.client_id, valid_after: expect.any(Number) });
      await expectDead(web, aliceWeb.tokens);
      await expectDead(web, bobWeb.tokens);
      await expectAlive(mobile, aliceMobile.tokens);
      await expectAlive(mobile, bobMobile.tokens);
      await startOfNextSecond();
      await expectAlive(web, (await login(alice, web)).tokens);
    });

    it('{scope: user}: that user’s tokens (every client) die and their sessions end; other users live; new ones (next second) work', async () => {
      const subject = uniqueSubject('user');
      const [onWeb, onMobile, other] = await Promise.all([login(subject, web), login(subject, mobile), login(uniqueSubject(), web)]);
      const response = await adminJson(service, '/admin/revocations', { scope: 'user', id: subject });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ scope: 'user', id: subject });
      await expectDead(web, onWeb.tokens);
      await expectDead(mobile, onMobile.tokens);
      await hasNoSession(onWeb.browser);
      await expectAlive(web, other.tokens);
      await startOfNextSecond();
      await expectAlive(web, (await login(subject, web)).tokens);
    });

    it.each([
      ['an unknown field', { scope: 'user', id: 'x', reason: 'because' }],
      ['a user revocation without id', { scope: 'user' }],
      ['a client revocation without id', { scope: 'client' }],
      ['an empty id', { scope: 'user', id: '' }],
      ['an id that is not a string', { scope: 'client', id: 42 }],
      ['an id with control characters', { scope: 'user', id: 'a\nb' }],
      ['an unknown scope', { scope: 'everyone' }],
      ['no scope', { id: 'x' }],
      ['an id with a global revocation', { scope: 'global', id: 'x' }],
      ['not an object', '["global"]'],
      ['not JSON', '{"scope":"global"'],
    ])('400 for %s, and nothing is revoked', async (_why, body) => {
      const { tokens } = await login(uniqueSubject('safe'));
      const response = await adminJson(service, '/admin/revocations', body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
      await expectActive(service, web, tokens.access_token);
      await expectActive(service, web, tokens.refresh_token!);
    });

    it('401 without the admin token, and nothing is revoked', async () => {
      const { tokens } = await login(uniqueSubject('safe'));
      const response = await fetch(`${service.url}/admin/revocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scope: 'global' }),
      });
      expect(response.status).toBe(401);
      await expectActive(service, web, tokens.refresh_token!);
    });

    // Last: it kills everything this server issued so far.
    it('{scope: global}: every token of every client and user dies, every SSO session ends; tokens issued in the next second work', async () => {
      const [one, two] = await Promise.all([login(uniqueSubject(), web), login(uniqueSubject(), mobile)]);
      const response = await adminJson(service, '/admin/revocations', { scope: 'global' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ scope: 'global', valid_after: expect.any(Number) });
      await expectDead(web, one.tokens);
      await expectDead(mobile, two.tokens);
      await hasNoSession(one.browser);
      await hasNoSession(two.browser);
      await startOfNextSecond();
      const after = await login(uniqueSubject(), mobile);
      await expectAlive(mobile, after.tokens);
      await hasSession(after.browser);
    });
  });
});
