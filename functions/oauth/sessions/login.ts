import { randomBytes } from 'node:crypto';
import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import { MAX_PROFILE_NAME, NAME_SEGMENT } from '../../lifetimes/parameters.ts';
import { loginVerifier } from '../authorize.ts';
import { clientRedirect } from '../client-redirect.ts';
import type { ClientRepository } from '../clients/client.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { ERROR_DESCRIPTION, InvalidRequest, NotFound } from '../errors.ts';
import { hashSecret } from '../secrets.ts';
import { RESERVED_CLAIMS } from '../claims.ts';
import type { AuthorizationRequest, LoginRequestStore, LoginResult } from './login-request.ts';

export interface LoginDependencies {
  readonly issuer: string;
  readonly clock: Clock;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly loginRequests: LoginRequestStore;
  /** The lifetime profiles a login may choose; without it none is known (every `lifetime_profile` is refused). */
  readonly lifetimes?: Pick<LifetimeConfigStore, 'current'>;
}

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** OIDC Core §2: `sub` is ASCII, at most 255 characters; printable and without spaces, so it is safe in every log and header. */
const SUBJECT = /^[\x21-\x7E]{1,255}$/;
const ACCEPT_FIELDS = new Set(['subject', 'acr', 'amr', 'remember', 'claims', 'lifetime_profile']);
const REJECT_FIELDS = new Set(['error', 'error_description']);
/** What a login app may answer with (OIDC Core §3.1.2.6 and RFC 6749 §4.1.2.1). */
const REJECT_ERRORS = new Set(['access_denied', 'login_required', 'interaction_required', 'account_selection_required', 'temporarily_unavailable']);

function challengeHash(challenge: string): string {
  if (!CHALLENGE.test(challenge)) throw new NotFound('no such login request');
  return hashSecret(challenge);
}

function refuseUnknown(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(body).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw new InvalidRequest(`unknown fields: ${unknown.join(', ')}`);
}

/** `GET /admin/login-requests/{challenge}`: what the login app needs to show. */
export async function describeLogin(deps: LoginDependencies, challenge: string): Promise<Record<string, unknown>> {
  const login = await deps.loginRequests.get(challengeHash(challenge));
  if (!login || login.status !== 'pending' || login.expiresAt <= epochSeconds(deps.clock)) {
    throw new NotFound('no such login request, or it expired or was already handled');
  }
  const client = await deps.clients.get(login.request.clientId);
  return {
    challenge,
    client: { client_id: login.request.clientId, client_name: client?.clientName },
    requested_scope: login.request.scope,
    requested_audience: login.request.audience,
    skip: false,
    subject: login.sessionSubject,
    oidc_context: oidcContext(login.request),
    expires_at: login.expiresAt,
  };
}

/**
 * Hydra's `oidc_context`, and more of the request (OIDC Core §3.1.2.1, §5.5): a field only when
 * the request had it (the body is JSON, which leaves out what is undefined).
 */
function oidcContext(request: AuthorizationRequest): Record<string, unknown> {
  return {
    prompt: request.prompt,
    max_age: request.maxAge,
    login_hint: request.loginHint,
    acr_values: request.acrValues,
    ui_locales: request.uiLocales,
    claims_locales: request.claimsLocales,
    display: request.display,
    claims: request.claims,
    id_token_hint_claims: request.idTokenHintClaims,
    id_token_hint_sub: request.idTokenHintClaims?.['sub'],
  };
}

/**
 * Validates an accept body of the admin API (login and device requests alike); `fields` are
 * the ones allowed (a device approval has no `remember`: there is no browser session).
 */
export function parseAccept(body: Record<string, unknown>, now: number, fields: ReadonlySet<string> = ACCEPT_FIELDS): LoginResult {
  refuseUnknown(body, fields);
  const { subject, acr, amr, remember, claims, lifetime_profile: lifetimeProfile } = body;
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    throw new InvalidRequest('subject must be 1 to 255 printable ASCII characters without spaces (OIDC Core section 2)');
  }
  if (acr !== undefined && (typeof acr !== 'string' || acr.length > 255)) throw new InvalidRequest('acr must be a string');
  if (amr !== undefined && (!Array.isArray(amr) || amr.length > 10 || amr.some((entry) => typeof entry !== 'string' || entry.length > 64))) {
    throw new InvalidRequest('amr must be an array of strings');
  }
  if (remember !== undefined && typeof remember !== 'boolean') throw new InvalidRequest('remember must be a boolean');
  if (lifetimeProfile !== undefined && (typeof lifetimeProfile !== 'string' || lifetimeProfile.length > MAX_PROFILE_NAME || !NAME_SEGMENT.test(lifetimeProfile))) {
    throw new InvalidRequest(`lifetime_profile must be a profile name: 1 to ${MAX_PROFILE_NAME} letters, digits, _ . -`);
  }
  if (claims !== undefined && (typeof claims !== 'object' || claims === null || Array.isArray(claims) || JSON.stringify(claims).length > 4096)) {
    throw new InvalidRequest('claims must be a JSON object of at most 4 KB');
  }
  // Refused rather than dropped, so a login app that sets one learns it at once (acr and amr have fields of their own).
  const reserved = claims === undefined ? [] : Object.keys(claims as object).filter((name) => RESERVED_CLAIMS.has(name));
  if (reserved.length > 0) throw new InvalidRequest(`claims may not set ${reserved.join(', ')}: the server asserts them`);
  return {
    subject,
    acr: acr as string | undefined,
    amr: amr as string[] | undefined,
    remember: remember === true,
    claims: claims as Record<string, unknown> | undefined,
    lifetimeProfile: lifetimeProfile as string | undefined,
    authenticatedAt: now,
  };
}

/**
 * An accept naming a lifetime profile the configuration does not have is refused (400, naming
 * it) before anything is accepted: a login app's typo must not silently give a shared device
 * the client's longer lifetimes. Without a profile the configuration is not even read.
 */
export async function requireLifetimeProfile(
  lifetimes: Pick<LifetimeConfigStore, 'current'> | undefined,
  result: Pick<LoginResult, 'lifetimeProfile'>,
): Promise<void> {
  const name = result.lifetimeProfile;
  if (name === undefined) return;
  if (lifetimes === undefined || !(await lifetimes.current()).profileNames.has(name)) {
    throw new InvalidRequest(`lifetime_profile ${name} is unknown: no parameters are set under profiles/${name}/`);
  }
}

/** `PUT …/accept`: the login app vouches for the user; the browser returns to `/authorize`. */
export async function acceptLogin(deps: LoginDependencies, challenge: string, body: Record<string, unknown>): Promise<{ redirect_to: string }> {
  const hash = challengeHash(challenge);
  const now = epochSeconds(deps.clock);
  const result = parseAccept(body, now);
  await requireLifetimeProfile(deps.lifetimes, result);
  const secret = randomBytes(32).toString('base64url');
  const accepted = await deps.loginRequests.accept(hash, result, hashSecret(secret), now);
  if (!accepted) throw new NotFound('no such login request, or it expired or was already handled');
  const url = new URL(`${deps.issuer}/authorize`);
  url.searchParams.set('login_verifier', loginVerifier(challenge, secret));
  return { redirect_to: url.toString() };
}

/** Validates a reject body of the admin API: `error` (default `access_denied`) among `errors`, and `error_description`. */
export function parseReject(
  body: Record<string, unknown>,
  errors: ReadonlySet<string> = REJECT_ERRORS,
): { readonly error: string; readonly description?: string | undefined } {
  refuseUnknown(body, REJECT_FIELDS);
  const error = body['error'] ?? 'access_denied';
  const description = body['error_description'];
  if (typeof error !== 'string' || !errors.has(error)) {
    throw new InvalidRequest(`error must be one of ${[...errors].join(', ')}`);
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > 500 || !ERROR_DESCRIPTION.test(description))) {
    throw new InvalidRequest('error_description must be a string of at most 500 printable ASCII characters, without " or \\ (RFC 6749 §4.1.2.1)');
  }
  return { error, description: description as string | undefined };
}

/** `PUT …/reject`: the client learns the login failed (default `access_denied`). */
export async function rejectLogin(deps: LoginDependencies, challenge: string, body: Record<string, unknown>): Promise<{ redirect_to: string }> {
  const hash = challengeHash(challenge);
  const { error, description } = parseReject(body);
  const rejected = await deps.loginRequests.reject(hash, epochSeconds(deps.clock), error);
  if (!rejected) throw new NotFound('no such login request, or it expired or was already handled');
  return {
    redirect_to: clientRedirect(deps.issuer, rejected.request.redirectUri, {
      error,
      error_description: description,
      state: rejected.request.state,
    }),
  };
}

/**
 * The redirect URI of a pending login request: where the login page's form submission ends,
 * through `/authorize`, whether the user logs in or denies (the page's CSP `form-action`).
 */
export async function loginRedirectUri(deps: LoginDependencies, challenge: string): Promise<string> {
  const login = await deps.loginRequests.get(challengeHash(challenge));
  if (!login || login.status !== 'pending' || login.expiresAt <= epochSeconds(deps.clock)) {
    throw new NotFound('no such login request, or it expired or was already handled');
  }
  return login.request.redirectUri;
}
