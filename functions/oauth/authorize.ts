import { randomBytes } from 'node:crypto';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { GRANT_TYPES, type Client, type ClientRepository } from './clients/client.ts';
import { redirectUriRegistered } from './clients/redirect-uri.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { AuthorizationPageError, AuthorizationRedirectError, OAuthError } from './errors.ts';
import { clientRedirect } from './client-redirect.ts';

export { AuthorizationPageError, AuthorizationRedirectError } from './errors.ts';
export { clientRedirect } from './client-redirect.ts';
import { JKT } from './dpop/proof.ts';
import { isCodeChallenge } from './pkce.ts';
import { grantedScope, grantedTarget, type GrantTarget } from './scopes.ts';
import { hashSecret } from './secrets.ts';
import type { AuthorizationRequest, LoginRequestStore, LoginResult } from './sessions/login-request.ts';
import { isSessionActive, sessionExpiresAt, type Session, type SessionStore } from './sessions/session.ts';
import type { CodeStore } from './tokens/code.ts';
import type { RevocationMarkers } from './tokens/markers.ts';
import type { ProfileStore } from './sessions/profile.ts';
import { requestedClaimNames, requiredSubjects } from './claims.ts';
import { parseOidcParameters, type OidcParameters } from './oidc-parameters.ts';
import type { Signer } from './signer.ts';
import { verifyIdTokenHint } from './tokens/id-token-hint.ts';

/** How long a login challenge waits for the login app. */
export const LOGIN_REQUEST_TTL = 900;
/** Sliding the session is a write; skip it until this share of the idle window has passed. */
const TOUCH_FRACTION = 0.1;

export interface AuthorizeDependencies {
  readonly issuer: string;
  readonly loginUrl: string;
  readonly clock: Clock;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly sessions: SessionStore;
  readonly loginRequests: LoginRequestStore;
  readonly codes: Pick<CodeStore, 'create'>;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly markers: Pick<RevocationMarkers, 'sessionsValidAfter'>;
  readonly profiles: Pick<ProfileStore, 'put'>;
  /** Public keys, to verify an `id_token_hint`. */
  readonly signer: Pick<Signer, 'jwks'>;
}

/** The result of `/authorize`: where the browser goes next, and cookies to set. */
export interface AuthorizeOutcome {
  readonly location: string;
  readonly setSession?: { readonly value: string; readonly maxAge?: number };
  readonly setLoginBinding?: { readonly value: string; readonly maxAge: number };
  readonly clearLoginBinding?: boolean;
}

const MAX_PARAMETER_LENGTH = 2048;
/** An ID token with profile claims outgrows the default; a claims request may be long too. */
const LONGER_PARAMETERS: Readonly<Record<string, number>> = { id_token_hint: 8192, claims: 4096 };

/**
 * Validates an authorization request in the order RFC 6749 §4.1.2.1 requires: client and
 * redirect URI first (errors shown to the user), then the rest (errors sent to the client).
 */
export async function parseAuthorizationRequest(
  query: URLSearchParams,
  deps: Pick<AuthorizeDependencies, 'clients' | 'issuer' | 'signer'>,
): Promise<{ client: Client; request: AuthorizationRequest }> {
  const single = (name: string): string | undefined => {
    const values = query.getAll(name);
    if (values.length > 1) return undefined;
    const value = values[0];
    return value === undefined || value === '' ? undefined : value;
  };
  if (query.getAll('client_id').length > 1 || query.getAll('redirect_uri').length > 1) {
    throw new AuthorizationPageError('invalid_request', 'client_id and redirect_uri may appear only once');
  }
  const clientId = single('client_id');
  if (!clientId || clientId.length > 128) throw new AuthorizationPageError('invalid_request', 'client_id is required');
  const client = await deps.clients.get(clientId);
  if (!client) throw new AuthorizationPageError('invalid_client', 'unknown client');
  const asked = single('redirect_uri');
  const redirectUriGiven = asked !== undefined;
  const redirectUri = asked ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri) throw new AuthorizationPageError('invalid_request', 'redirect_uri is required');
  // OIDC Core §3.1.2.1: REQUIRED in an OpenID Connect request (plain OAuth may omit it, RFC 6749 §4.1.1).
  if (!redirectUriGiven && (single('scope') ?? '').split(' ').includes('openid')) {
    throw new AuthorizationPageError('invalid_request', 'redirect_uri is required in an OpenID Connect request');
  }
  // Exact string comparison (OAuth 2.1 §4.1.1.3), any port on a loopback IP (RFC 8252 §7.3).
  if (!redirectUriRegistered(client.redirectUris, redirectUri)) {
    throw new AuthorizationPageError('invalid_request', 'redirect_uri is not registered for this client');
  }

  const state = query.getAll('state').length === 1 ? single('state') : undefined;
  const fail = (code: string, description: string): never => {
    throw new AuthorizationRedirectError({ issuer: deps.issuer, redirectUri, state }, code, description);
  };
  for (const [name] of query) {
    // RFC 8707 §2: resource is the one parameter that may repeat (one per resource asked for).
    if (name !== 'resource' && query.getAll(name).length > 1) fail('invalid_request', `parameter ${name} is repeated`);
    if ((query.get(name) ?? '').length > (LONGER_PARAMETERS[name] ?? MAX_PARAMETER_LENGTH)) fail('invalid_request', `parameter ${name} is too long`);
  }
  // OIDC Core §6.2 and §6.1: each has its own error code.
  if (query.has('request_uri')) fail('request_uri_not_supported', 'request_uri is not supported');
  if (query.has('request')) fail('request_not_supported', 'request objects are not supported');
  const responseType = single('response_type');
  if (responseType !== 'code') fail('unsupported_response_type', 'only response_type=code is supported');
  const responseMode = single('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') fail('invalid_request', 'only response_mode=query is supported');
  if (!client.grantTypes.includes(GRANT_TYPES.authorizationCode)) {
    fail('unauthorized_client', 'this client may not use the authorization code grant');
  }
  const codeChallenge = single('code_challenge');
  const method = single('code_challenge_method');
  // A client that sends PKCE gets it checked whether it must or not.
  const withoutPkce = !client.requirePkce && codeChallenge === undefined && method === undefined;
  if (!withoutPkce) {
    if (!codeChallenge) fail('invalid_request', 'code_challenge is required (PKCE)');
    if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256');
    if (!isCodeChallenge(codeChallenge!)) fail('invalid_request', 'code_challenge is malformed');
  }

  let scope: string[] = [];
  let target: GrantTarget = { audience: '' };
  try {
    scope = grantedScope(client, single('scope'));
    target = grantedTarget(client, query.getAll('resource'), deps.issuer);
  } catch (error) {
    if (error instanceof OAuthError) fail(error.code, error.message);
    throw error;
  }

  let oidc: OidcParameters = {};
  try {
    oidc = parseOidcParameters(single);
  } catch (error) {
    if (error instanceof OAuthError) fail(error.code, error.message);
    throw error;
  }
  const hint = single('id_token_hint');
  const hintClaims = hint !== undefined ? await verifyIdTokenHint(hint, deps) : undefined;
  if (hint !== undefined && !hintClaims) fail('invalid_request', 'id_token_hint is not an ID token this server issued');
  const nonce = single('nonce');
  const dpopJkt = single('dpop_jkt');
  if (dpopJkt !== undefined && !JKT.test(dpopJkt)) fail('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)');
  // OAuth 2.1 §7.5.1: without PKCE only the OIDC nonce stops an injected code (a confidential client's requests only).
  if (withoutPkce && !scope.includes('openid')) fail('invalid_request', 'code_challenge is required (PKCE) unless the request is an OpenID Connect request with a nonce');
  if (withoutPkce && nonce === undefined) fail('invalid_request', 'nonce is required when PKCE is not used');
  return {
    client,
    request: {
      clientId: client.clientId,
      redirectUri,
      ...(!redirectUriGiven && { redirectUriOmitted: true }),
      scope,
      ...target,
      ...(!withoutPkce && { codeChallenge: codeChallenge! }),
      ...(state !== undefined && { state }),
      ...(nonce !== undefined && { nonce }),
      ...(dpopJkt !== undefined && { dpopJkt }),
      ...oidc,
      ...(hintClaims !== undefined && { idTokenHintClaims: hintClaims }),
    },
  };
}

function secretPair(): { value: string; hash: string } {
  const value = randomBytes(32).toString('base64url');
  return { value, hash: hashSecret(value) };
}

async function issueCode(
  deps: AuthorizeDependencies,
  client: Client,
  request: AuthorizationRequest,
  session: Session,
  now: number,
): Promise<string> {
  // The session's lifetime profile (its login's) governs every code it issues, SSO reuse included.
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), {
    clientId: client.clientId,
    clientType: client.type,
    audience: request.audience,
    ...(session.lifetimeProfile !== undefined && { profile: session.lifetimeProfile }),
  });
  const code = secretPair();
  const requestedClaims = requestedClaimNames(request.claims, client.scopes);
  await deps.codes.create(code.hash, {
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    ...(request.redirectUriOmitted && { redirectUriOmitted: true }),
    ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge }),
    subject: session.subject,
    scope: request.scope,
    audience: request.audience,
    ...(request.resources !== undefined && { resources: request.resources }),
    authTime: session.authTime,
    sid: session.sid,
    ...(session.acr !== undefined && { acr: session.acr }),
    ...(session.amr !== undefined && { amr: session.amr }),
    ...(session.claims !== undefined && { claims: session.claims }),
    ...(request.nonce !== undefined && { nonce: request.nonce }),
    ...(request.dpopJkt !== undefined && { jkt: request.dpopJkt }),
    ...(requestedClaims !== undefined && { requestedClaims }),
    ...(session.lifetimeProfile !== undefined && { lifetimeProfile: session.lifetimeProfile }),
    createdAt: now,
    expiresAt: now + lifetimes.authorization_code_ttl.value,
  });
  return clientRedirect(deps.issuer, request.redirectUri, { code: code.value, state: request.state });
}

/** The SSO session a cookie names, if it is still active (expired items are treated as absent). */
async function activeSession(deps: AuthorizeDependencies, cookie: string | undefined, now: number, clientId: string) {
  if (!cookie || cookie.length > 100) return undefined;
  const hash = hashSecret(cookie);
  const session = await deps.sessions.get(hash);
  if (!session || !isSessionActive(session, now)) return undefined;
  // A compromised user's (or everyone's) sessions end with one marker, not one write per session;
  // and a session whose login a token revocation covers could only issue dead codes.
  if (session.authTime <= (await deps.markers.sessionsValidAfter(session.subject, clientId))) return undefined;
  return { hash, session };
}

/**
 * Why the browser's SSO session may not answer this request by itself (undefined: it may).
 * `prompt=login|consent|select_account` are for the login app to honour, so they always reach it.
 */
function ssoRefusal(request: AuthorizationRequest, session: Session, now: number): string | undefined {
  if (request.prompt?.some((value) => value !== 'none')) return 'the request asks for user interaction';
  // max_age=0 is prompt=login (OIDC Core §3.1.2.1); whole seconds would otherwise let it pass.
  if (request.maxAge !== undefined && (request.maxAge === 0 || now - session.authTime > request.maxAge)) return 'a fresh login is required';
  // The client expects a particular user (§3.1.2.1 id_token_hint, §5.5.1 a sub value): another one's session is no answer.
  const hinted = request.idTokenHintClaims?.['sub'];
  if (hinted !== undefined && hinted !== session.subject) return 'the session is for another user than id_token_hint';
  if (requiredSubjects(request.claims).some((subject) => subject !== session.subject)) return 'the session is for another user than the claims request asks for';
  return undefined;
}

/**
 * `GET /authorize` with a new request: a code at once when an SSO session satisfies it,
 * `login_required` for `prompt=none` when none does, otherwise a login challenge for the
 * login app, bound to this browser by a cookie.
 */
export async function authorize(
  deps: AuthorizeDependencies,
  query: URLSearchParams,
  cookies: { readonly session?: string },
): Promise<AuthorizeOutcome> {
  const { client, request } = await parseAuthorizationRequest(query, deps);
  const now = epochSeconds(deps.clock);
  const current = await activeSession(deps, cookies.session, now, client.clientId);
  const refusal = current && ssoRefusal(request, current.session, now);
  if (current && refusal === undefined) {
    const { session, hash } = current;
    if (now - session.lastSeenAt >= session.idleTtl * TOUCH_FRACTION) await deps.sessions.touch(hash, session, now);
    return { location: await issueCode(deps, client, request, session, now) };
  }
  if (request.prompt?.includes('none')) {
    throw new AuthorizationRedirectError({ ...request, issuer: deps.issuer }, 'login_required', refusal ?? 'no active session');
  }
  const challenge = secretPair();
  const binding = secretPair();
  await deps.loginRequests.create(challenge.hash, {
    request,
    status: 'pending',
    csrfHash: binding.hash,
    ...(current && { sessionSubject: current.session.subject }),
    createdAt: now,
    expiresAt: now + LOGIN_REQUEST_TTL,
  });
  const login = new URL(deps.loginUrl);
  login.searchParams.set('login_challenge', challenge.value);
  return { location: login.toString(), setLoginBinding: { value: binding.value, maxAge: LOGIN_REQUEST_TTL } };
}

/**
 * The `login_verifier` of `/authorize`, or null for a new authorization request. Sent twice, even
 * with one copy empty, it is refused on a page (RFC 6749 §3.1): the request names no redirect URI
 * that could be trusted yet.
 */
export function loginVerifierParameter(query: URLSearchParams): string | null {
  const values = query.getAll('login_verifier');
  if (values.length > 1) throw new AuthorizationPageError('invalid_request', 'parameter login_verifier is repeated');
  return values[0] ?? null;
}

/** The verifier handed back by an accepted login: `<challenge>.<secret>`. */
export function loginVerifier(challenge: string, secret: string): string {
  return `${challenge}.${secret}`;
}

/**
 * `GET /authorize?login_verifier=…`, the browser back from the login app: consume the
 * accepted challenge (single use, same browser), start a new SSO session (a fresh id on every
 * login, against fixation), and issue the code.
 */
export async function completeLogin(
  deps: AuthorizeDependencies,
  verifier: string,
  cookies: { readonly session?: string; readonly loginBinding?: string },
): Promise<AuthorizeOutcome> {
  const [challenge, secret, ...rest] = verifier.split('.');
  if (!challenge || !secret || rest.length > 0 || verifier.length > 200) {
    throw new AuthorizationPageError('invalid_request', 'login_verifier is malformed');
  }
  const now = epochSeconds(deps.clock);
  if (!cookies.loginBinding || cookies.loginBinding.length > 100) {
    throw new AuthorizationPageError('invalid_request', 'this login was started in another browser');
  }
  // The browser binding is part of the single-use condition: another browser holding the
  // verifier neither completes the login nor uses it up.
  const login = await deps.loginRequests.consume(hashSecret(challenge), hashSecret(secret), hashSecret(cookies.loginBinding), now);
  if (!login?.result) {
    throw new AuthorizationPageError('invalid_request', 'login request is unknown, expired, already used, or was started in another browser');
  }
  const client = await deps.clients.get(login.request.clientId);
  if (!client) throw new AuthorizationPageError('invalid_client', 'unknown client');
  // A login accepted before a revocation of its user (or client, or everyone) and completed after it starts nothing.
  if (login.result.authenticatedAt <= (await deps.markers.sessionsValidAfter(login.result.subject, client.clientId))) {
    throw new AuthorizationRedirectError({ ...login.request, issuer: deps.issuer }, 'access_denied', 'the login was revoked: sign in again');
  }
  // OIDC Core §5.5.1: a positive answer only for the user a sub value names.
  if (requiredSubjects(login.request.claims).some((subject) => subject !== login.result!.subject)) {
    throw new AuthorizationRedirectError({ ...login.request, issuer: deps.issuer }, 'login_required', 'the user who logged in is not the one the claims request asks for');
  }
  // OIDC Core §3.1.2.1: an id_token_hint names the user the client expects; another user's login is an error.
  const hintSubject = login.request.idTokenHintClaims?.['sub'];
  if (typeof hintSubject === 'string' && hintSubject !== login.result.subject) {
    throw new AuthorizationRedirectError({ ...login.request, issuer: deps.issuer }, 'login_required', 'the user who logged in is not the one the id_token_hint names');
  }
  const previous = await activeSession(deps, cookies.session, now, client.clientId);
  if (previous) await deps.sessions.delete(previous.hash);
  const session = await startSession(deps, client, login.result, now);
  return {
    location: await issueCode(deps, client, login.request, session.session, now),
    setSession: { value: session.cookie, ...(login.result.remember && { maxAge: sessionExpiresAt(session.session) - now }) },
    clearLoginBinding: true,
  };
}

async function startSession(deps: AuthorizeDependencies, client: Client, result: LoginResult, now: number) {
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), {
    clientId: client.clientId,
    clientType: client.type,
    ...(result.lifetimeProfile !== undefined && { profile: result.lifetimeProfile }),
  });
  const cookie = secretPair();
  const session: Session = {
    sid: randomBytes(16).toString('base64url'),
    subject: result.subject,
    authTime: result.authenticatedAt,
    ...(result.acr !== undefined && { acr: result.acr }),
    ...(result.amr !== undefined && { amr: result.amr }),
    ...(result.claims !== undefined && { claims: result.claims }),
    ...(result.lifetimeProfile !== undefined && { lifetimeProfile: result.lifetimeProfile }),
    clientId: client.clientId,
    createdAt: now,
    lastSeenAt: now,
    idleTtl: lifetimes.session_idle_ttl.value,
    absoluteExpiresAt: now + lifetimes.session_absolute_ttl.value,
    remember: result.remember,
  };
  await deps.sessions.create(cookie.hash, session);
  await deps.profiles.put(result.subject, result.claims ?? {}, now);
  return { cookie: cookie.value, session };
}
