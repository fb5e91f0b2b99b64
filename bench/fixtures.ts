import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { DynamoDbCodeStore } from '../functions/adapters/dynamodb/code-store.ts';
import { DynamoDbFamilyStore } from '../functions/adapters/dynamodb/family-store.ts';
import { s256 } from '../functions/oauth/pkce.ts';
import { hashSecret } from '../functions/oauth/secrets.ts';
import type { Family } from '../functions/oauth/tokens/family.ts';
import { decodeRefreshToken } from '../functions/oauth/tokens/refresh-token.ts';
import { commandOf, inputOf } from './capture.ts';
import { ADMIN_TOKEN, BENCH_PARAMETERS, type BenchEnvironment } from './environment.ts';
import { basic, expectJson, expectTokens, type HttpClient } from './http.ts';

export type Item = Record<string, AttributeValue>;

export const REDIRECT_URI = 'https://app.example.com/callback';
export const USER_SCOPE = 'openid profile offline_access orders:read';
export const SUBJECT = 'bench-user';

/** A registered client with its secret. */
export interface BenchClient {
  readonly clientId: string;
  readonly secret: string;
  readonly authorization: string;
}

/** An unredeemed authorization code with its PKCE verifier. */
export interface BenchCode {
  readonly code: string;
  readonly verifier: string;
}

/** A refresh-token family the bench rotates: its current refresh token. */
export interface BenchFamily {
  token: string;
}

const admin = (env: BenchEnvironment, path: string, method: string, body: unknown) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function register(env: BenchEnvironment, body: Record<string, unknown>): Promise<BenchClient> {
  const response = await admin(env, '/admin/clients', 'POST', { type: 'confidential', ...body });
  const created = expectJson('POST /admin/clients', { status: response.status, body: await response.text() }, 201);
  const clientId = String(created['client_id']);
  const secret = String(created['client_secret']);
  return { clientId, secret, authorization: basic(clientId, secret) };
}

/**
 * Two confidential clients registered through the admin API: a web app (code, refresh,
 * device; OIDC scopes) and an API client (client credentials only).
 */
export async function registerClients(env: BenchEnvironment): Promise<{ app: BenchClient; api: BenchClient }> {
  const app = await register(env, {
    client_name: 'bench web app',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    scopes: ['openid', 'profile', 'offline_access', 'orders:read'],
    audiences: ['orders-api'],
  });
  const api = await register(env, {
    client_name: 'bench API client',
    grant_types: ['client_credentials'],
    scopes: ['orders:read'],
    audiences: ['orders-api'],
  });
  return { app, api };
}

function redirectOf(response: Response, what: string): URL {
  if (response.status !== 302) throw new Error(`${what} answered ${response.status}, not a redirect`);
  return new URL(response.headers.get('location') ?? '');
}

/**
 * One real interactive login: `/authorize` → the login app accepts the challenge through the
 * admin API → `/authorize` again → a code at the redirect URI. Returns the code's stored item,
 * which every bench code is cloned from, so bench codes hold what a real login stores.
 */
export async function realCodeItem(env: BenchEnvironment, app: BenchClient): Promise<Item> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: USER_SCOPE,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
  });
  // A browser: the login request is bound to it by a cookie.
  const cookies = new Map<string, string>();
  const browse = async (url: string) => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  const login = redirectOf(await browse(`${env.url}/authorize?${query}`), 'GET /authorize');
  const challenge = login.searchParams.get('login_challenge');
  if (!challenge) throw new Error(`/authorize did not ask for a login: ${login}`);
  const accepted = await admin(env, `/admin/login-requests/${challenge}/accept`, 'PUT', { subject: SUBJECT, amr: ['pwd'] });
  const { redirect_to: redirectTo } = expectJson('PUT accept', { status: accepted.status, body: await accepted.text() }, 200) as { redirect_to: string };
  const callback = redirectOf(await browse(redirectTo), 'GET /authorize (after login)');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  return readItem(env, await codeKey(env, code));
}

async function codeKey(env: BenchEnvironment, code: string): Promise<Item> {
  const command = await commandOf((client) =>
    new DynamoDbCodeStore(client, env.tableName).redeem({
      codeHash: hashSecret(code),
      clientId: '-',
      codeChallenge: '-',
      now: 0,
      familyId: '-',
      accessTokenId: '-',
    }),
  );
  return inputOf(command)['Key'] as Item;
}

/** The key of a family item, as the family store addresses it. */
export async function familyKey(env: BenchEnvironment, familyId: string): Promise<Item> {
  return inputOf(await commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).get(familyId)))['Key'] as Item;
}

export async function readItem(env: BenchEnvironment, key: Item): Promise<Item> {
  const { Item: item } = await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: key, ConsistentRead: true }));
  if (!item) throw new Error(`no item ${JSON.stringify(key)}`);
  return item;
}

export function requireAttributes(item: Item, names: readonly string[], what: string): void {
  const missing = names.filter((name) => item[name] === undefined);
  if (missing.length > 0) throw new Error(`${what} has no ${missing.join(', ')}: bench/fixtures.ts is out of date with the store`);
}

/** Runs `task` over `count` indexes, `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * `count` fresh codes, each a copy of the real login's code item with its own hash, PKCE
 * challenge and lifetime, written straight to the table.
 */
export async function cloneCodes(env: BenchEnvironment, template: Item, count: number): Promise<BenchCode[]> {
  requireAttributes(template, ['code_challenge', 'created_at', 'expires_at'], 'the code item');
  const lifetime = Number(template['expires_at']?.N) - Number(template['created_at']?.N);
  const codes: BenchCode[] = Array.from({ length: count }, () => ({
    code: randomBytes(32).toString('base64url'),
    verifier: randomBytes(32).toString('base64url'),
  }));
  await inParallel(count, 16, async (index) => {
    const { code, verifier } = codes[index]!;
    const now = Math.floor(Date.now() / 1000);
    const item: Item = {
      ...template,
      ...(await codeKey(env, code)),
      code_challenge: { S: s256(verifier) },
      created_at: { N: String(now) },
      expires_at: { N: String(now + lifetime) },
    };
    await env.db.send(new PutItemCommand({ TableName: env.tableName, Item: item }));
  });
  return codes;
}

/** The form of a code exchange at `/token`. */
export const codeExchangeForm = (code: BenchCode): Record<string, string> => ({
  grant_type: 'authorization_code',
  code: code.code,
  redirect_uri: REDIRECT_URI,
  code_verifier: code.verifier,
});

/**
 * Refresh-token families made the way users make them (a code exchange through `/token`),
 * then rotated through `/token` until each is in steady state: more than 20 rotations, so
 * its item holds the full rotation history and every refresh carries the rate condition
 * and drops the oldest rotation, as a long-lived family in production does.
 */
export async function steadyFamilies(env: BenchEnvironment, http: HttpClient, app: BenchClient, template: Item, count: number): Promise<BenchFamily[]> {
  const codes = await cloneCodes(env, template, count);
  const families: BenchFamily[] = new Array(count);
  await inParallel(count, 16, async (index) => {
    const body = expectTokens('code exchange', await http.postForm('/token', codeExchangeForm(codes[index]!), { authorization: app.authorization }), ['refresh_token']);
    families[index] = { token: body['refresh_token']! };
  });
  // Every family once per round, and a round no faster than the rate limit allows: 20 rotations
  // of a family per window, counted in whole seconds, so per two windows to be safe (a few
  // families go round quickly).
  const minRoundMs = (2000 * BENCH_PARAMETERS.rate_limit_window) / BENCH_PARAMETERS.refresh_rate_limit + 10;
  for (let round = 0; round < 21; round += 1) {
    const started = Date.now();
    await inParallel(count, 16, async (index) => {
      const family = families[index]!;
      const body = expectTokens('refresh', await http.postForm('/token', { grant_type: 'refresh_token', refresh_token: family.token }, { authorization: app.authorization }), ['refresh_token']);
      family.token = body['refresh_token']!;
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, minRoundMs - (Date.now() - started))));
  }
  return families;
}

/** The family a refresh token belongs to, as stored now. */
export async function familyOf(env: BenchEnvironment, token: string): Promise<Family> {
  const decoded = decodeRefreshToken(token);
  if (!decoded) throw new Error('not a refresh token');
  const family = await new DynamoDbFamilyStore(env.db, env.tableName).get(decoded.familyId);
  if (!family) throw new Error(`family ${decoded.familyId} not found`);
  return family;
}
