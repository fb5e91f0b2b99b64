/**
 * `/authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): a new request or the return from the login
 * app. Its parts are modules of their own: request validation (authorization-request.ts),
 * whether the browser's SSO session answers (session-reuse.ts) and code issuance
 * (code-issuance.ts); this module strings them together and starts sessions.
 */
import { randomBytes } from 'node:crypto';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { Client, ClientRepository } from './clients/client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { AuthorizationPageError, AuthorizationRedirectError } from './errors.ts';
import { parseAuthorizationRequest } from './authorization-request.ts';
import { issueCode, secretPair } from './code-issuance.ts';
import { activeSession, ssoRefusal } from './session-reuse.ts';
import { hashSecret } from './secrets.ts';
import { authenticationOf } from './sessions/authentication.ts';
import type { LoginRequestStore, LoginResult } from './sessions/login-request.ts';
import { sessionExpiresAt, type Session, type SessionStore } from './sessions/session.ts';
import { requiredSubjects } from './claims.ts';
import type { CodeStore } from './tokens/code.ts';
import type { RevocationMarkers } from './tokens/markers.ts';
import type { ProfileStore } from './sessions/profile.ts';
import type { Signer } from './signer.ts';

export { AuthorizationPageError, AuthorizationRedirectError } from './errors.ts';
export { clientRedirect } from './client-redirect.ts';
export { parseAuthorizationRequest } from './authorization-request.ts';

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
  /** Without `maxAge`, a browser-session cookie. */
  readonly setSession?: { readonly value: string; readonly maxAge?: number | undefined };
  readonly setLoginBinding?: { readonly value: string; readonly maxAge: number };
  readonly clearLoginBinding?: boolean;
}

/**
 * `GET /authorize` with a new request: a code at once when an SSO session satisfies it,
 * `login_required` for `prompt=none` when none does, otherwise a login challenge for the
 * login app, bound to this browser by a cookie.
 */
export async function authorize(
  deps: AuthorizeDependencies,
  query: URLSearchParams,
  cookies: { readonly session?: string | undefined },
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
    sessionSubject: current?.session.subject,
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
  cookies: { readonly session?: string | undefined; readonly loginBinding?: string | undefined },
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
    setSession: { value: session.cookie, maxAge: login.result.remember ? sessionExpiresAt(session.session) - now : undefined },
    clearLoginBinding: true,
  };
}

async function startSession(deps: AuthorizeDependencies, client: Client, result: LoginResult, now: number) {
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), {
    clientId: client.clientId,
    clientType: client.type,
    profile: result.lifetimeProfile,
  });
  const cookie = secretPair();
  const session: Session = {
    sid: randomBytes(16).toString('base64url'),
    subject: result.subject,
    authTime: result.authenticatedAt,
    ...authenticationOf(result),
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
