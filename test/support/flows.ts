import { writeFile } from 'node:fs/promises';
import * as oauth from 'oauth4webapi';
import { expect } from 'vitest';
import { basic, Browser, registerClient } from './browser.ts';
import type { TestServer } from './local-server.ts';

/**
 * Building blocks for end-to-end flows against the local server: clients, authorization
 * requests with PKCE, logins through the admin API, token requests, and the checks every
 * error response must pass.
 */

export const REDIRECT = 'https://app.example.com/callback';
export const SCOPES = ['openid', 'profile', 'offline_access', 'orders:read'];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until just after the start of the next wall-clock second (the server counts epoch seconds). */
export async function startOfNextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

export interface TestClient {
  readonly client_id: string;
  readonly client_secret?: string;
  /** The first registered redirect URI ('' when none). */
  readonly redirect_uri: string;
}

/** Registers a client: confidential, code + refresh, {@link SCOPES}, audience `orders-api`, unless overridden. */
export async function newClient(service: TestServer, overrides: Record<string, unknown> = {}): Promise<TestClient> {
  const body: Record<string, unknown> = {
    client_name: 'e2e client',
    type: 'confidential',
    redirect_uris: [REDIRECT],
    scopes: SCOPES,
    audiences: ['orders-api'],
    ...overrides,
  };
  const registered = await registerClient(service, body);
  return { ...registered, redirect_uri: (body['redirect_uris'] as string[] | undefined)?.[0] ?? '' };
}

/** A public (browser) client: no secret, `token_endpoint_auth_method: none`. */
export const newPublicClient = (service: TestServer, overrides: Record<string, unknown> = {}): Promise<TestClient> =>
  newClient(service, { client_name: 'e2e spa', type: 'public', token_endpoint_auth_method: 'none', ...overrides });

/** `/authorize?…` from parameters; an `undefined` value leaves that parameter out, `append` adds raw (possibly repeated) pairs. */
export function authorizeUrl(service: TestServer, params: Record<string, string | undefined>, append: Array<[string, string]> = []): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.append(name, value);
  for (const [name, value] of append) query.append(name, value);
  return `${service.url}/authorize?${query.toString()}`;
}

export interface AuthorizationRequest {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly redirectUri: string;
}

/**
 * A valid authorization request for `client` (code, S256 PKCE, state, nonce, scope
 * `openid offline_access orders:read`); `params` overrides or (with `undefined`) removes parameters.
 */
export async function authorizationRequest(
  service: TestServer,
  client: Pick<TestClient, 'client_id' | 'redirect_uri'>,
  params: Record<string, string | undefined> = {},
  append: Array<[string, string]> = [],
): Promise<AuthorizationRequest> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const all: Record<string, string | undefined> = {
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    response_type: 'code',
    scope: 'openid offline_access orders:read',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  };
  return {
    url: authorizeUrl(service, all, append),
    verifier,
    state: all['state'] ?? '',
    nonce,
    redirectUri: all['redirect_uri'] ?? client.redirect_uri,
  };
}

/** A copy of a browser, cookies and all (e.g. to replay something later with the cookies of now). */
export function cloneBrowser(browser: Browser): Browser {
  const copy = new Browser();
  for (const [name, value] of browser.cookies) copy.cookies.set(name, value);
  return copy;
}

/** `/authorize` must answer with a redirect to the login app; returns the challenge and the response. */
export async function expectLoginChallenge(browser: Browser, url: string): Promise<{ challenge: string; response: Response }> {
  const response = await browser.get(url);
  expect(response.status, await peek(response)).toBe(302);
  const location = new URL(response.headers.get('location')!);
  expect(location.pathname).toBe('/login');
  const challenge = location.searchParams.get('login_challenge');
  expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { challenge: challenge!, response };
}

/** `/authorize` must answer at once with a code at the client's redirect URI (SSO); returns the callback. */
export async function expectCodeAtOnce(browser: Browser, request: AuthorizationRequest, issuer: string): Promise<URL> {
  const response = await browser.get(request.url);
  expect(response.status, await peek(response)).toBe(302);
  const location = new URL(response.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(request.redirectUri);
  expect(location.searchParams.get('error')).toBeNull();
  expect(location.searchParams.get('code')).toBeTruthy();
  expect(location.searchParams.get('state')).toBe(request.state);
  expect(location.searchParams.get('iss')).toBe(issuer);
  return location;
}

const json = (body: unknown): RequestInit => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** `PUT /admin/login-requests/{challenge}/accept`, raw. */
export const acceptRaw = (service: TestServer, challenge: string, body: unknown): Promise<Response> =>
  service.admin(`/admin/login-requests/${challenge}/accept`, json(body));

/** `PUT /admin/login-requests/{challenge}/reject`, raw. */
export const rejectRaw = (service: TestServer, challenge: string, body: unknown): Promise<Response> =>
  service.admin(`/admin/login-requests/${challenge}/reject`, json(body));

/** Accepts a challenge as the login app would; returns where the browser goes next (`redirect_to`). */
export async function accept(service: TestServer, challenge: string, body: Record<string, unknown> = { subject: 'alice' }): Promise<string> {
  const response = await acceptRaw(service, challenge, body);
  expect(response.status, await peek(response)).toBe(200);
  const { redirect_to: redirectTo } = (await response.json()) as { redirect_to: string };
  return redirectTo;
}

export interface Login {
  /** The final redirect to the client. */
  readonly callback: URL;
  /** The code in it. */
  readonly code: string;
  /** The response of `/authorize?login_verifier=…` (it sets the session cookie). */
  readonly completion: Response;
  /** The `redirect_to` the login app got. */
  readonly redirectTo: string;
}

/**
 * A full interactive login: `/authorize` must ask for a login; the challenge is accepted
 * through the admin API; the browser comes back and gets a code.
 */
export async function logInThrough(
  service: TestServer,
  browser: Browser,
  request: AuthorizationRequest,
  body: Record<string, unknown> = { subject: 'alice' },
): Promise<Login> {
  const { challenge } = await expectLoginChallenge(browser, request.url);
  const redirectTo = await accept(service, challenge, body);
  const completion = await browser.get(redirectTo);
  expect(completion.status, await peek(completion)).toBe(302);
  const callback = new URL(completion.headers.get('location')!);
  expect(`${callback.origin}${callback.pathname}`).toBe(request.redirectUri);
  expect(callback.searchParams.get('error')).toBeNull();
  expect(callback.searchParams.get('state')).toBe(request.state);
  const code = callback.searchParams.get('code');
  expect(code).toBeTruthy();
  return { callback, code: code!, completion, redirectTo };
}

/** Registers nothing, logs in a fresh browser for `client` and returns the code with its request. */
export async function codeFor(
  service: TestServer,
  client: TestClient,
  params: Record<string, string | undefined> = {},
  body: Record<string, unknown> = { subject: 'alice' },
): Promise<{ code: string; request: AuthorizationRequest; browser: Browser }> {
  const request = await authorizationRequest(service, client, params);
  const browser = new Browser();
  const { code } = await logInThrough(service, browser, request, body);
  return { code, request, browser };
}

/** Part of the flow helpers, defined beside {@link Browser} so that `npm run demo` can use it without loading vitest. */
export { basic };

/**
 * `POST /token` with a form body. With `client`: Basic authentication when it has a secret,
 * otherwise `client_id` in the body (public client).
 */
export function tokenRequest(
  service: TestServer,
  form: Record<string, string | undefined>,
  client?: Pick<TestClient, 'client_id' | 'client_secret'>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return clientForm(service, '/token', form, client, headers);
}

/** The authorization-code exchange, raw; `extra` overrides or (with `undefined`) removes fields. */
export const exchangeCode = (
  service: TestServer,
  client: TestClient,
  code: string,
  verifier: string,
  extra: Record<string, string | undefined> = {},
): Promise<Response> =>
  tokenRequest(
    service,
    { grant_type: 'authorization_code', code, redirect_uri: client.redirect_uri, code_verifier: verifier, ...extra },
    client,
  );

export const refresh = (
  service: TestServer,
  client: Pick<TestClient, 'client_id' | 'client_secret'>,
  refreshToken: string,
  extra: Record<string, string | undefined> = {},
): Promise<Response> => tokenRequest(service, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, client);

export interface Tokens {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

/** A successful token response (200, no-store); returns its body. */
export async function expectTokens(response: Response): Promise<Tokens> {
  expect(response.status, await peek(response)).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as Tokens;
}

/**
 * An RFC 6749 §5.2 error (`error`: the code, or one of several acceptable codes): the status,
 * JSON with exactly `error` and `error_description`,
 * `Cache-Control: no-store`; `invalid_client` (401) with a `WWW-Authenticate` challenge.
 */
export async function expectTokenError(
  response: Response,
  status: number,
  error: string | readonly string[],
): Promise<{ error: string; error_description: string }> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  if (typeof error === 'string') expect(body['error']).toBe(error);
  else expect(error).toContain(body['error']);
  expect(typeof body['error_description']).toBe('string');
  if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
  return body as { error: string; error_description: string };
}

/**
 * An error shown to the user (RFC 6749 §4.1.2.1): a 400 HTML page naming the error, never a
 * redirect, and no cookie set.
 */
export async function expectErrorPage(response: Response, error?: string): Promise<void> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 400 });
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.getSetCookie().filter((line) => !/Max-Age=0/i.test(line))).toEqual([]);
  if (error !== undefined) expect(text).toContain(error);
}

/**
 * An error sent back to the client (RFC 6749 §4.1.2.1): 302 to the redirect URI with
 * `error`, `state` echoed (when given) and `iss` (RFC 9207), no code.
 */
export function expectRedirectError(response: Response, redirectUri: string, issuer: string, error: string, state: string | undefined): URL {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('code')).toBeNull();
  expect(location.searchParams.get('state')).toBe(state ?? null);
  expect(location.searchParams.get('iss')).toBe(issuer);
  return location;
}

/** Writes the parameters file and waits until both handlers' caches (1 s) have picked it up. */
export async function writeParameters(service: TestServer, parameters: Record<string, unknown>): Promise<void> {
  await writeFile(service.parametersFile, JSON.stringify(parameters));
  await sleep(1_500);
}

/** The issuer metadata, for oauth4webapi. */
export async function discover(service: TestServer): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(service.url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
}

/** A cookie's attributes from a Set-Cookie line, by name (lower case), plus `name` and `value`. */
export function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair, ...rest] = line.split(';');
  const index = pair!.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key, ...value] = part.trim().split('=');
    attributes.set(key!.toLowerCase(), value.join('='));
  }
  return { name: pair!.slice(0, index).trim(), value: pair!.slice(index + 1), attributes };
}

/** The Set-Cookie lines of a response for one cookie name. */
export const setCookies = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .filter((cookie) => cookie.name === name);

/** A response body for assertion messages, without consuming the response. */
async function peek(response: Response): Promise<string> {
  try {
    return `${response.status} ${await response.clone().text()}`;
  } catch {
    return String(response.status);
  }
}

// ---- token lifecycle: revocation, introspection, userinfo, logout, bulk revocation ----------

/** A subject no other test uses: revoke-all markers and stored profiles of one test touch no other. */
export const uniqueSubject = (prefix = 'user'): string => `${prefix}-${crypto.randomUUID()}`;

/**
 * A fresh interactive login for `client` (`params` vary the authorization request, `accept`
 * is the login app's accept body) and its code exchange: the tokens, the browser that now holds
 * the SSO session, and the request.
 */
export async function loginTokens(
  service: TestServer,
  client: TestClient,
  options: { params?: Record<string, string | undefined>; accept?: Record<string, unknown> } = {},
): Promise<{ tokens: Tokens; browser: Browser; request: AuthorizationRequest }> {
  const { code, request, browser } = await codeFor(service, client, options.params ?? {}, options.accept ?? { subject: 'alice' });
  const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
  return { tokens, browser, request };
}

/**
 * `POST` of a form to `path`, authenticated as {@link tokenRequest} does: Basic with a secret,
 * otherwise `client_id` in the body; no client: no authentication at all.
 */
export function clientForm(
  service: TestServer,
  path: string,
  form: Record<string, string | undefined>,
  client?: Pick<TestClient, 'client_id' | 'client_secret'>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.append(name, value);
  const auth: Record<string, string> = {};
  if (client?.client_secret !== undefined) auth['authorization'] = basic(client.client_id, client.client_secret);
  else if (client !== undefined && !body.has('client_id')) body.set('client_id', client.client_id);
  return fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth, ...headers },
    body: body.toString(),
  });
}

/** `POST /revoke` (RFC 7009), raw; `extra` adds e.g. `token_type_hint`. */
export const revokeRequest = (
  service: TestServer,
  client: Pick<TestClient, 'client_id' | 'client_secret'> | undefined,
  token: string | undefined,
  extra: Record<string, string | undefined> = {},
): Promise<Response> => clientForm(service, '/revoke', { token, ...extra }, client);

/** `POST /revoke` must answer 200, `Cache-Control: no-store`, with an empty body. */
export async function expectRevoked(response: Response): Promise<void> {
  const text = await response.text();
  expect({ status: response.status, text }).toEqual({ status: 200, text: '' });
  expect(response.headers.get('cache-control')).toBe('no-store');
}

/** `POST /introspect` (RFC 7662) as `client`: must answer 200 JSON with `Cache-Control: no-store`; returns the body. */
export async function introspectAs(
  service: TestServer,
  client: Pick<TestClient, 'client_id' | 'client_secret'>,
  token: string,
  extra: Record<string, string | undefined> = {},
): Promise<Record<string, unknown>> {
  const response = await clientForm(service, '/introspect', { token, ...extra }, client);
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 200 });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The introspection answer must be exactly `{"active": false}`: nothing else about the token leaks. */
export async function expectInactive(service: TestServer, client: Pick<TestClient, 'client_id' | 'client_secret'>, token: string): Promise<void> {
  expect(await introspectAs(service, client, token)).toEqual({ active: false });
}

/** The introspection answer must be active. */
export async function expectActive(
  service: TestServer,
  client: Pick<TestClient, 'client_id' | 'client_secret'>,
  token: string,
): Promise<Record<string, unknown>> {
  const body = await introspectAs(service, client, token);
  expect(body['active']).toBe(true);
  return body;
}

/** `GET /userinfo` with a bearer token; without one, no Authorization header at all. */
export const userinfoRequest = (service: TestServer, token?: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${service.url}/userinfo`, { headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers } });

/** The oauth4webapi view of a registered client: its metadata and how it authenticates. */
export function rpClient(client: TestClient): { client: oauth.Client; auth: oauth.ClientAuth } {
  return {
    client: { client_id: client.client_id },
    auth: client.client_secret !== undefined ? oauth.ClientSecretBasic(client.client_secret) : oauth.None(),
  };
}

/** A JSON request to an admin route (POST unless told otherwise); a string body is sent as is. */
export const adminJson = (service: TestServer, path: string, body: unknown, method = 'POST'): Promise<Response> =>
  service.admin(path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
