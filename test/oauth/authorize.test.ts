import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../functions/adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../../functions/adapters/dynamodb/code-store.ts';
import { DynamoDbLoginRequestStore } from '../../functions/adapters/dynamodb/login-request-store.ts';
import { DynamoDbSessionStore } from '../../functions/adapters/dynamodb/session-store.ts';
import { DynamoDbRevocationMarkers } from '../../functions/adapters/dynamodb/revocation-markers.ts';
import { DynamoDbProfileStore } from '../../functions/adapters/dynamodb/profile-store.ts';
import { LifetimeConfigStore } from '../../functions/lifetimes/config.ts';
import {
  authorize,
  AuthorizationRedirectError,
  completeLogin,
  type AuthorizeDependencies,
  type AuthorizeOutcome,
} from '../../functions/oauth/authorize.ts';
import { s256 } from '../../functions/oauth/pkce.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { acceptLogin } from '../../functions/oauth/sessions/login.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { memoryMetrics } from '../../functions/observability/metrics.ts';
import { clientRecord } from '../support/clients.ts';
import { TestClock } from '../support/clock.ts';
import { freshTable } from '../support/dynamodb.ts';

describe('SSO sessions at /authorize (injected clock)', () => {
  let deps: AuthorizeDependencies;
  let clock: TestClock;
  let tableName: string;
  let dynamo: Awaited<ReturnType<typeof freshTable>>['client'];
  const client = clientRecord({ scopes: ['openid'] });
  const parameters = new Map([
    ['session_idle_ttl', '100'],
    ['session_absolute_ttl', '250'],
  ]);

  beforeEach(async () => {
    ({ client: dynamo, tableName } = await freshTable());
    clock = new TestClock();
    const clients = new DynamoDbClientRepository(dynamo, tableName);
    await clients.create(client);
    deps = {
      issuer: 'https://auth.example.com',
      loginUrl: 'https://login.example.com/login',
      clock,
      clients,
      sessions: new DynamoDbSessionStore(dynamo, tableName),
      loginRequests: new DynamoDbLoginRequestStore(dynamo, tableName),
      codes: new DynamoDbCodeStore(dynamo, tableName),
      markers: new DynamoDbRevocationMarkers({ client: dynamo, tableName, clock }),
      profiles: new DynamoDbProfileStore(dynamo, tableName),
      signer: { jwks: async () => ({ keys: [] }) },
      lifetimes: new LifetimeConfigStore({
        source: { load: async () => new Map(parameters) },
        clock,
        logger: memoryLogger(),
        metrics: memoryMetrics(),
        maxAgeMs: 1,
      }),
    };
  });

  const query = (extra: Record<string, string> = {}) =>
    new URLSearchParams({
      client_id: client.clientId,
      redirect_uri: client.redirectUris[0]!,
      response_type: 'code',
      scope: 'openid',
      code_challenge: s256(randomBytes(32).toString('base64url')),
      code_challenge_method: 'S256',
      state: 'xyz',
      ...extra,
    });

  const isCode = (outcome: AuthorizeOutcome) => new URL(outcome.location).searchParams.has('code');
  const isLogin = (outcome: AuthorizeOutcome) => new URL(outcome.location).searchParams.has('login_challenge');

  /** A full login: returns the session cookie value. */
  async function logIn(subject = 'alice'): Promise<string> {
    const started = await authorize(deps, query(), {});
    const challenge = new URL(started.location).searchParams.get('login_challenge')!;
    const { redirect_to } = await acceptLogin(deps, challenge, { subject });
    const verifier = new URL(redirect_to).searchParams.get('login_verifier')!;
    const done = await completeLogin(deps, verifier, { loginBinding: started.setLoginBinding!.value });
    expect(isCode(done)).toBe(true);
    return done.setSession!.value;
  }

  const sessionItem = async (cookie: string) =>
    (await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `SESSION#${hashSecret(cookie)}` }, sk: { S: 'SESSION' } } })))
      .Item;

  it('issues a code at once while the session is active', async () => {
    const session = await logIn();
    clock.advance(50);
    expect(isCode(await authorize(deps, query(), { session }))).toBe(true);
  });

  it('idle expiry: past the idle window a new login is needed, though the item is still in the table', async () => {
    const session = await logIn();
    clock.advance(101);
    expect(await sessionItem(session)).toBeDefined();
    expect(isLogin(await authorize(deps, query(), { session }))).toBe(true);
    await expect(authorize(deps, query({ prompt: 'none' }), { session })).rejects.toMatchObject({ code: 'login_required' });
  });

  it('the idle window slides with use, but never past the absolute maximum', async () => {
    const session = await logIn();
    for (let elapsed = 0; elapsed + 80 < 250; elapsed += 80) {
      clock.advance(80);
      expect(isCode(await authorize(deps, query(), { session })), `at ${elapsed + 80} s`).toBe(true);
    }
    const item = await sessionItem(session);
    expect(Number(item!['expires_at']!.N)).toBeLessThanOrEqual(Number(item!['absolute_expires_at']!.N));
    clock.advance(80);
    expect(isLogin(await authorize(deps, query(), { session }))).toBe(true);
  });

  it('max_age: a login older than max_age needs a new one (step-up); a recent one does not', async () => {
    const session = await logIn();
    clock.advance(30);
    expect(isLogin(await authorize(deps, query({ max_age: '10' }), { session }))).toBe(true);
    expect(isCode(await authorize(deps, query({ max_age: '60' }), { session }))).toBe(true);
    await expect(authorize(deps, query({ max_age: '10', prompt: 'none' }), { session })).rejects.toBeInstanceOf(
      AuthorizationRedirectError,
    );
  });

  it('prompt=login forces a new login; prompt=none without a session is login_required', async () => {
    const session = await logIn();
    expect(isLogin(await authorize(deps, query({ prompt: 'login' }), { session }))).toBe(true);
    await expect(authorize(deps, query({ prompt: 'none' }), {})).rejects.toMatchObject({ code: 'login_required', state: 'xyz' });
  });

  it('a new login replaces the old session (a fresh id against fixation) and the old cookie stops working', async () => {
    const first = await logIn();
    const started = await authorize(deps, query({ prompt: 'login' }), { session: first });
    const challenge = new URL(started.location).searchParams.get('login_challenge')!;
    const { redirect_to } = await acceptLogin(deps, challenge, { subject: 'alice' });
    const done = await completeLogin(deps, new URL(redirect_to).searchParams.get('login_verifier')!, {
      session: first,
      loginBinding: started.setLoginBinding!.value,
    });
    expect(done.setSession!.value).not.toBe(first);
    expect(await sessionItem(first)).toBeUndefined();
    expect(isLogin(await authorize(deps, query(), { session: first }))).toBe(true);
  });

  it('fixes auth_time at the login and keeps it in codes issued from the session', async () => {
    const loginTime = clock.seconds;
    const session = await logIn();
    clock.advance(40);
    await authorize(deps, query(), { session });
    const item = await sessionItem(session);
    expect(Number(item!['auth_time']!.N)).toBe(loginTime);
  });

  it('a verifier presented by another browser neither completes the login nor uses it up', async () => {
    const started = await authorize(deps, query(), {});
    const challenge = new URL(started.location).searchParams.get('login_challenge')!;
    const { redirect_to } = await acceptLogin(deps, challenge, { subject: 'alice' });
    const verifier = new URL(redirect_to).searchParams.get('login_verifier')!;
    await expect(completeLogin(deps, verifier, { loginBinding: 'another-browser' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(completeLogin(deps, verifier, {})).rejects.toMatchObject({ code: 'invalid_request' });
    expect(isCode(await completeLogin(deps, verifier, { loginBinding: started.setLoginBinding!.value }))).toBe(true);
    await expect(completeLogin(deps, verifier, { loginBinding: started.setLoginBinding!.value })).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});
