import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbSessionStore } from '../../functions/adapters/dynamodb/session-store.ts';
import { CONFIRMATION_TTL, logout, type LogoutDependencies, type LogoutOutcome } from '../../functions/oauth/logout.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { grantFixture } from '../support/grant-fixture.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

/**
 * The anti-CSRF token of the logout confirmation (RP-Initiated Logout §2 without an
 * id_token_hint), against DynamoDB Local stores and a test clock: only the page's own token,
 * for this browser's session cookie, while fresh, ends the session.
 */
describe('logout confirmation tokens', () => {
  let f: Fixture;
  let deps: LogoutDependencies;
  let sessions: DynamoDbSessionStore;

  beforeAll(async () => {
    f = await grantFixture();
    sessions = new DynamoDbSessionStore(f.dynamo, f.tableName);
    deps = { ...f.deps, clients: f.clients, sessions };
  });

  async function newSession(): Promise<string> {
    const cookie = randomBytes(32).toString('base64url');
    const now = f.clock.seconds;
    await sessions.create(hashSecret(cookie), {
      sid: randomBytes(16).toString('base64url'),
      subject: `user-${randomBytes(8).toString('hex')}`,
      authTime: now,
      clientId: f.client.clientId,
      createdAt: now,
      lastSeenAt: now,
      idleTtl: 86_400,
      absoluteExpiresAt: now + 86_400,
      remember: false,
    });
    return cookie;
  }
  const alive = async (cookie: string) => (await sessions.get(hashSecret(cookie))) !== undefined;

  async function tokenFor(cookie: string): Promise<string> {
    const outcome = await logout(deps, new URLSearchParams(), cookie);
    if (outcome.kind !== 'confirm') throw new Error(`expected a confirmation, got ${JSON.stringify(outcome)}`);
    expect(outcome.rejectedToken).toBe(false);
    return outcome.csrfToken;
  }
  const confirm = (cookie: string, token: string): Promise<LogoutOutcome> => logout(deps, new URLSearchParams(), cookie, token);

  it('the page’s token, posted back with the same cookie, ends the session', async () => {
    const cookie = await newSession();
    const token = await tokenFor(cookie);
    f.clock.advance(CONFIRMATION_TTL);
    expect(await confirm(cookie, token)).toEqual({ kind: 'done', endedSession: true });
    expect(await alive(cookie)).toBe(false);
  });

  it.each<[string, (token: string, cookie: string) => Promise<[token: string, cookie: string]>]>([
    ['older than CONFIRMATION_TTL', async (token, cookie) => {
      f.clock.advance(CONFIRMATION_TTL + 1);
      return [token, cookie];
    }],
    ['another session’s token', async (_token, cookie) => [await tokenFor(await newSession()), cookie]],
    ['its time moved (the MAC covers it)', async (token, cookie) => {
      const [time, mac] = token.split('.');
      return [`${Number(time) - 1}.${mac}`, cookie];
    }],
    ['issued in the future', async (token, cookie) => {
      const [, mac] = token.split('.');
      return [`${f.clock.seconds + 60}.${mac}`, cookie];
    }],
    ['its MAC changed', async (token, cookie) => [`${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`, cookie]],
    ['empty', async (_token, cookie) => ['', cookie]],
    ['garbage', async (_token, cookie) => ['not-a-token', cookie]],
    ['the hash of the cookie (what the store keys the session by)', async (_token, cookie) => [hashSecret(cookie), cookie]],
  ])('a token %s shows the page again and ends nothing', async (_why, vary) => {
    const cookie = await newSession();
    const [token, used] = await vary(await tokenFor(cookie), cookie);
    const outcome = await confirm(used, token);
    expect(outcome).toMatchObject({ kind: 'confirm', rejectedToken: true });
    expect(await alive(cookie)).toBe(true);
  });

  it('a confirmation without a session (already ended elsewhere) is simply done', async () => {
    const cookie = await newSession();
    const token = await tokenFor(cookie);
    await sessions.delete(hashSecret(cookie));
    expect(await confirm(cookie, token)).toEqual({ kind: 'done', endedSession: false });
  });
});
