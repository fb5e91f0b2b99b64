/**
 * `npm run demo`: Lifespan end to end, one step at a time, for someone seeing it for the first
 * time, against the server of `npm start` or a throw-away one (scripts/demo/service.ts).
 *
 * register a client → log in → tokens → call an API (middy + lifespanAuth) → refresh (rotation)
 * → replay the old refresh token (reuse detected, family revoked) → the security event in
 * events.jsonl → the newest one is refused too → an API in online mode refuses the family's
 * access token → the family's timeline.
 *
 * Exits 0 when every step went as described, 1 otherwise.
 */
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createVerifier, lifespanAuth, type LifespanAuthorizedEvent, type Verifier } from 'lifespan/verifier';
import { basic, Browser } from '../test/support/browser.ts';
import { apiEvent } from '../test/support/events.ts';
import { eventLike, type EventLine } from '../test/support/security-events.ts';
import { DemoFailure, findOrStart, stopStarted, type Service } from './demo/service.ts';

const REDIRECT_URI = 'http://localhost:3000/callback';
const AUDIENCE = 'orders-api';
const plain = process.env['CI'] !== undefined || !process.stdout.isTTY;
const bold = (text: string) => (plain ? text : `\x1b[1m${text}\x1b[22m`);

let stepNumber = 0;
const step = (title: string) => console.log(`\n${bold(`${++stepNumber}. ${title}`)}`);
const say = (line = '') => console.log(line === '' ? '' : `   ${line}`);
const ok = (line: string) => say(`${plain ? 'OK' : '✔'} ${line}`);
/** Enough of a token or secret to tell it apart from another, never the whole of it. */
const short = (secret: string) => `${secret.slice(0, 8)}…${secret.slice(-6)}`;

function expectThat(condition: boolean, what: string): asserts condition {
  if (!condition) throw new DemoFailure(what);
}

/** The JSON body of `response`, which must have `status`. */
async function expectJson<T>(response: Response, status: number, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new DemoFailure(`${what}: expected HTTP ${status}, got ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

// ── HTTP helpers ─────────────────────────────────────────────────────────────

function admin(service: Service, path: string, init: { method: string; body?: unknown }): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${service.adminToken}`, 'content-type': 'application/json' },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

interface Registered {
  readonly client_id: string;
  readonly client_secret: string;
}

const register = async (service: Service, body: Record<string, unknown>, what: string): Promise<Registered> =>
  expectJson<Registered>(await admin(service, '/admin/clients', { method: 'POST', body }), 201, what);

/** `POST /token`, the client authenticated with client_secret_basic. */
function tokenRequest(service: Service, form: Record<string, string>, client: Registered): Promise<Response> {
  return fetch(`${service.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret) },
    body: new URLSearchParams(form).toString(),
  });
}

interface TokenSet {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly id_token?: string;
  readonly expires_in: number;
  readonly scope: string;
}

// ── the API ──────────────────────────────────────────────────────────────────

/** The API an engineer would write: a middy handler behind lifespanAuth. */
function ordersApi(verifier: Verifier) {
  const handler = middy<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2>()
    .use(lifespanAuth({ verifier, requiredScopes: ['orders:read'] }))
    .handler(async (event) => {
      const { sub, client_id: clientId } = event.requestContext.authorizer.lifespan;
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orders: [{ id: 1, item: 'teapot' }], user: sub, via: clientId }) };
    });
  return async (authorization?: string): Promise<APIGatewayProxyStructuredResultV2> => {
    const event = apiEvent({ path: '/orders', headers: authorization === undefined ? {} : { authorization } });
    return (await handler(event as LifespanAuthorizedEvent, { functionName: 'orders-api' } as Context)) as APIGatewayProxyStructuredResultV2;
  };
}

function showApiAnswer(label: string, response: APIGatewayProxyStructuredResultV2): void {
  say(`${label} → HTTP ${response.statusCode}`);
  const challenge = response.headers?.['www-authenticate'];
  if (challenge !== undefined) say(`     WWW-Authenticate: ${challenge}`);
  say(`     ${response.body}`);
}

// ── the walk-through ─────────────────────────────────────────────────────────

async function demo(): Promise<void> {
  step('A Lifespan server');
  const service = await findOrStart(say);
  try {
    await walkThrough(service);
  } finally {
    await service.stop();
  }
}

async function walkThrough(service: Service): Promise<void> {
  const issuer = service.url;

  step('Register an OAuth client (POST /admin/clients)');
  const registered = await register(
    service,
    { client_name: 'Demo web app', type: 'confidential', redirect_uris: [REDIRECT_URI], scopes: ['openid', 'offline_access', 'orders:read'], audiences: [AUDIENCE] },
    'registering the web app',
  );
  ok(`client_id ${registered.client_id}, client_secret ${short(registered.client_secret)} (shown once, stored only as a hash)`);
  const resourceServer = await register(
    service,
    { client_name: 'Orders API', type: 'confidential', grant_types: ['client_credentials'], scopes: ['openid'], audiences: [AUDIENCE] },
    'registering the orders API',
  );
  ok(`and the orders API itself, as a confidential client that may introspect tokens for audience ${AUDIENCE}`);

  step('Log in: /authorize → the login app → back with a code');
  const browser = new Browser();
  const codeVerifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${issuer}/authorize`);
  authorize.search = new URLSearchParams({
    client_id: registered.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid offline_access orders:read',
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(16).toString('base64url'),
  }).toString();
  const toLogin = await browser.get(authorize.toString());
  expectThat(toLogin.status === 302, `/authorize answered ${toLogin.status}`);
  const challenge = new URL(toLogin.headers.get('location') ?? '').searchParams.get('login_challenge');
  expectThat(challenge !== null, '/authorize did not send the browser to the login app');
  say(`GET /authorize (PKCE S256) → 302 to the login app with login_challenge ${short(challenge)}`);
  const accepted = await expectJson<{ redirect_to: string }>(
    await admin(service, `/admin/login-requests/${challenge}/accept`, { method: 'PUT', body: { subject: 'alice' } }),
    200,
    'accepting the login',
  );
  say('The login app checks alice’s password, then: PUT /admin/login-requests/{challenge}/accept {"subject":"alice"}');
  const back = await browser.get(accepted.redirect_to);
  expectThat(back.status === 302, `/authorize (after login) answered ${back.status}`);
  const callback = new URL(back.headers.get('location') ?? '');
  const code = callback.searchParams.get('code');
  expectThat(code !== null && callback.searchParams.get('state') === state, 'no code (or the wrong state) at the redirect URI');
  ok(`back at ${REDIRECT_URI} with code ${short(code)}; the SSO session cookie is set`);

  step('Exchange the code for tokens (POST /token, grant_type=authorization_code)');
  const tokens = await expectJson<TokenSet>(
    await tokenRequest(service, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: codeVerifier }, registered),
    200,
    'the code exchange',
  );
  const access = decodeJwt(tokens.access_token);
  say(`access_token  ${short(tokens.access_token)}  a JWT: ${JSON.stringify(decodeProtectedHeader(tokens.access_token))}`);
  say(`              sub=${access.sub} aud=${access.aud} scope="${access['scope']}" lives ${tokens.expires_in} s`);
  say(`refresh_token ${short(tokens.refresh_token)}  opaque, stored hashed, one family per login`);
  say(`id_token      ${short(tokens.id_token ?? '')}  for the app only, never for APIs`);
  const familyId = access['fid'];
  expectThat(typeof familyId === 'string', 'the access token names no refresh-token family (fid)');

  step('Call an API: a middy handler behind lifespanAuth (synthetic API Gateway event)');
  const verifier = createVerifier({ issuer, audience: AUDIENCE });
  const callApi = ordersApi(verifier);
  const anonymous = await callApi();
  showApiAnswer('GET /orders without a token', anonymous);
  expectThat(anonymous.statusCode === 401, 'the API let a request without a token through');
  const withIdToken = await callApi(`Bearer ${tokens.id_token}`);
  showApiAnswer('GET /orders with the ID token', withIdToken);
  expectThat(withIdToken.statusCode === 401, 'the API accepted an ID token');
  const allowed = await callApi(`Bearer ${tokens.access_token}`);
  showApiAnswer('GET /orders with the access token', allowed);
  expectThat(allowed.statusCode === 200, 'the API refused a valid access token');
  ok('verified locally against /jwks.json: signature, typ at+jwt, issuer, audience, expiry, scope');

  step('Refresh (POST /token, grant_type=refresh_token): the refresh token rotates');
  const refreshed = await expectJson<TokenSet>(
    await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, registered),
    200,
    'the refresh',
  );
  expectThat(refreshed.refresh_token !== tokens.refresh_token, 'the refresh token did not rotate');
  say(`new refresh_token ${short(refreshed.refresh_token)} replaces ${short(tokens.refresh_token)}, which is now superseded`);
  const again = await callApi(`Bearer ${refreshed.access_token}`);
  expectThat(again.statusCode === 200, 'the API refused the refreshed access token');
  ok(`new access token accepted by the API (HTTP ${again.statusCode})`);

  step('An attacker replays the OLD refresh token');
  const replay = await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, registered);
  const replayBody = await expectJson<{ error: string; error_description: string }>(replay, 400, 'the replayed refresh token');
  expectThat(replayBody.error === 'invalid_grant', `the replay got ${replayBody.error}, not invalid_grant`);
  say(`HTTP 400 ${JSON.stringify(replayBody)}`);
  ok('a superseded token came back: Lifespan revokes the whole family (it cannot tell thief from user)');

  step(`The security event: one JSON line in ${service.eventsFile}`);
  const event = await reuseEvent(service, familyId);
  for (const line of JSON.stringify(event, null, 2).split('\n')) say(line);
  ok('in AWS the same detail goes to the EventBridge bus lifespan-<stage> (source "lifespan"): a rule can mail the user, or page someone');

  step('The legitimate app tries its NEWEST refresh token');
  const newest = await tokenRequest(service, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token }, registered);
  const newestBody = await expectJson<{ error: string }>(newest, 400, 'the newest refresh token');
  expectThat(newestBody.error === 'invalid_grant', `the newest refresh token got ${newestBody.error}, not invalid_grant`);
  say(`HTTP 400 ${JSON.stringify(newestBody)}`);
  ok('refused too: the family is revoked, so the user signs in again');

  step('Access tokens already issued: local verification vs online mode');
  const offline = await callApi(`Bearer ${refreshed.access_token}`);
  say(`local verification only → HTTP ${offline.statusCode}: a JWT stays valid until it expires (≤ ${refreshed.expires_in} s here)`);
  const online = ordersApi(
    createVerifier({
      issuer,
      audience: AUDIENCE,
      online: { introspectionEndpoint: `${issuer}/introspect`, clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret, cacheTtlSeconds: 30 },
    }),
  );
  const checked = await online(`Bearer ${refreshed.access_token}`);
  showApiAnswer('online mode (local checks + POST /introspect)', checked);
  expectThat(checked.statusCode === 401, 'online mode accepted an access token of a revoked family');
  ok('online mode refuses it at once, for one introspection per token per 30 s');

  step(`The family's timeline (GET /admin/families/${familyId})`);
  const timeline = await expectJson<{
    state: string;
    revoked_reason?: string;
    events: Array<{ type: string; at: number; generation?: number; reason?: string }>;
  }>(await admin(service, `/admin/families/${familyId}`, { method: 'GET' }), 200, 'the family timeline');
  say(`state: ${timeline.state}${timeline.revoked_reason ? ` (${timeline.revoked_reason})` : ''}`);
  for (const event of timeline.events) {
    const detail = event.generation !== undefined ? ` generation ${event.generation}` : event.reason ? ` (${event.reason})` : '';
    say(`  ${new Date(event.at * 1000).toISOString()}  ${event.type}${detail}`);
  }
  const reuse = timeline.events.find((event) => event.type === 'reuse_detected');
  expectThat(reuse !== undefined && timeline.state === 'revoked', 'the timeline does not show reuse_detected and a revoked family');
  console.log(`\n${bold(`${plain ? 'OK' : '✔'} reuse detected: family ${familyId} revoked at ${new Date(reuse.at * 1000).toISOString()}`)}`);
}

/**
 * The Refresh Token Reuse Detected event of the family, once the events function has published it
 * (it reads the table's stream: within a second or two).
 */
async function reuseEvent(service: Service, familyId: string): Promise<EventLine> {
  try {
    return await eventLike(service, 'Refresh Token Reuse Detected', { family_id: familyId });
  } catch {
    throw new DemoFailure(
      `no Refresh Token Reuse Detected event for family ${familyId} in ${service.eventsFile} (set LIFESPAN_DATA_DIR to the data directory of npm start)`,
    );
  }
}

async function main(): Promise<number> {
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    console.error(`\n${signal}: stopping…`);
    void stopStarted().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await demo();
    return 0;
  } catch (error) {
    if (interrupted) return 130;
    const message = error instanceof DemoFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`\n${plain ? 'FAILED' : '✘'} ${message}`);
    await stopStarted();
    return 1;
  }
}

process.exitCode = await main();
