import { createHmac } from 'node:crypto';
import { compactVerify, createLocalJWKSet } from 'jose';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { AuthorizationPageError } from './errors.ts';
import { markerRetention } from './bulk-revocation.ts';
import type { ClientRepository } from './clients/client.ts';
import { redirectUriRegistered } from './clients/redirect-uri.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { constantTimeEqual, hashSecret } from './secrets.ts';
import type { Session, SessionStore } from './sessions/session.ts';
import type { Signer } from './signer.ts';
import type { RevocationMarkers } from './tokens/markers.ts';
import { newEvent } from '../events/recorder.ts';

export interface LogoutDependencies {
  readonly issuer: string;
  readonly clock: Clock;
  readonly signer: Pick<Signer, 'jwks'>;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly sessions: Pick<SessionStore, 'get' | 'delete'>;
  readonly markers: Pick<RevocationMarkers, 'write'>;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
}

/** The form field of the confirmation page that carries its anti-CSRF token. */
export const CONFIRMATION_FIELD = 'csrf_token';
/** How long a confirmation page's token is good for (seconds). */
export const CONFIRMATION_TTL = 600;

/** The parameters a confirmation page carries to its POST, so the confirmed logout ends where the request asked. */
const CARRIED = ['client_id', 'post_logout_redirect_uri', 'state'] as const;

export type LogoutOutcome =
  | {
      readonly kind: 'done';
      /** Where to send the browser; a "signed out" page when absent. */
      readonly location?: string | undefined;
      readonly endedSession: boolean;
    }
  | {
      /** No valid `id_token_hint`: the user must confirm (RP-Initiated Logout §2), nothing has ended. */
      readonly kind: 'confirm';
      /** The anti-CSRF token the confirmation POST must carry back, bound to this browser's session cookie. */
      readonly csrfToken: string;
      /** Parameters for the confirmation form to carry (only those already validated). */
      readonly carry: Readonly<Record<string, string>>;
      /** The validated `post_logout_redirect_uri` (with `state`) the confirmed logout will go to, if any. */
      readonly location?: string | undefined;
      /** A confirmation was posted, but its token was missing the mark (wrong, expired, another session's). */
      readonly rejectedToken: boolean;
    };

type Hint = { readonly valid: true; readonly sub: string; readonly aud: string; readonly sid: string | undefined } | { readonly valid: false };

/** The claims of an ID token we signed; expired ones are fine here (OIDC RP-Initiated Logout §2). */
async function idTokenHint(token: string, deps: LogoutDependencies): Promise<Hint> {
  try {
    const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(await deps.signer.jwks()), {
      algorithms: ['RS256', 'ES256'],
    });
    if (protectedHeader.typ === 'at+jwt') return { valid: false };
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const aud = Array.isArray(claims['aud']) ? claims['aud'][0] : claims['aud'];
    if (claims['iss'] !== deps.issuer || typeof claims['sub'] !== 'string' || typeof aud !== 'string') return { valid: false };
    return { valid: true, sub: claims['sub'], aud, sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined };
  } catch {
    return { valid: false };
  }
}

/**
 * The anti-CSRF token of a confirmation page: when it was issued and an HMAC of that time keyed
 * with the session cookie. Stateless; only a page served to the browser holding the cookie (an
 * HttpOnly, 256-bit secret no other site can read) can carry a valid one.
 */
function confirmationToken(sessionCookie: string, issuedAt: number): string {
  const mac = createHmac('sha256', sessionCookie).update(`lifespan logout confirmation ${issuedAt}`).digest('base64url');
  return `${issuedAt}.${mac}`;
}

function confirmationValid(token: string, sessionCookie: string, now: number): boolean {
  const match = /^(\d{1,12})\.[A-Za-z0-9_-]{43}$/.exec(token);
  if (!match) return false;
  const issuedAt = Number(match[1]);
  if (issuedAt > now || now - issuedAt > CONFIRMATION_TTL) return false;
  return constantTimeEqual(token, confirmationToken(sessionCookie, issuedAt));
}

/**
 * Where a logout may send the browser: a `post_logout_redirect_uri` registered for the client —
 * exactly, or on a loopback IP with any port (a native app listens where it can, RFC 8252 §7.3,
 * as at /authorize).
 */
async function postLogoutLocation(deps: LogoutDependencies, query: URLSearchParams, clientId: string | undefined): Promise<string | undefined> {
  const redirectUri = query.get('post_logout_redirect_uri');
  if (!redirectUri) return undefined;
  const client = clientId ? await deps.clients.get(clientId) : undefined;
  if (!client) throw new AuthorizationPageError('invalid_request', 'post_logout_redirect_uri needs client_id or id_token_hint', { page: 'Sign-out' });
  if (!redirectUriRegistered(client.postLogoutRedirectUris, redirectUri)) {
    throw new AuthorizationPageError('invalid_request', 'post_logout_redirect_uri is not registered for this client', { page: 'Sign-out' });
  }
  const url = new URL(redirectUri);
  const state = query.get('state');
  if (state) url.searchParams.set('state', state);
  return url.toString();
}

/** Ends the session, and with `revoke_all_on_logout` every refresh token of the user too (one marker write). */
async function endSession(deps: LogoutDependencies, hash: string, session: Session): Promise<void> {
  await deps.sessions.delete(hash, newEvent('session_ended', { subject: session.subject, client_id: session.clientId, sid: session.sid, reason: 'logout' }, deps.clock));
  const lifetimes = resolveLifetimes(await deps.lifetimes.current());
  if (lifetimes.revoke_all_on_logout.value) {
    const now = epochSeconds(deps.clock);
    await deps.markers.write('user', session.subject, now, await markerRetention(deps.lifetimes, now), 'logout');
  }
}

/**
 * OIDC RP-Initiated Logout. With a valid `id_token_hint` for this browser's user, the session
 * ends at once. Without one (missing, not ours, or for another client than `client_id`), a
 * cross-site page could have sent the browser here, so nothing ends until the user confirms:
 * the outcome is `confirm`, and only a POST carrying the page's token (`confirmation`) ends the
 * session. Redirects only to a `post_logout_redirect_uri` registered for the client (see
 * {@link postLogoutLocation}), and never on the word of a hint that failed validation (§4).
 */
export async function logout(
  deps: LogoutDependencies,
  query: URLSearchParams,
  sessionCookie: string | undefined,
  confirmation?: string,
): Promise<LogoutOutcome> {
  for (const [name] of query) {
    if (query.getAll(name).length > 1) throw new AuthorizationPageError('invalid_request', `parameter ${name} is repeated`, { page: 'Sign-out' });
  }
  const hintToken = query.get('id_token_hint');
  const verified = hintToken ? await idTokenHint(hintToken, deps) : undefined;
  const clientId = query.get('client_id') ?? undefined;
  const hint = verified?.valid && (clientId === undefined || clientId === verified.aud) ? verified : undefined;
  // A hint that failed validation is not used, and nothing it came with is acted on without the user.
  const failedHint = hintToken !== null && hint === undefined;
  const location = failedHint ? undefined : await postLogoutLocation(deps, query, clientId ?? hint?.aud);

  const hash = sessionCookie && sessionCookie.length <= 100 ? hashSecret(sessionCookie) : undefined;
  const session = hash ? await deps.sessions.get(hash) : undefined;
  const done = (endedSession: boolean): LogoutOutcome => ({ kind: 'done', location, endedSession });
  if (!hash || !session) return done(false);
  if (hint) {
    // A hint for another user must not end this browser's session.
    if (hint.sub !== session.subject) return done(false);
    // Only an ID token of this very session ends it unasked (§2: one that "does not belong to the
    // current OP session" is confirmed by the user): an old one, from any client, is in browser
    // histories and logs, and a cross-site link could carry it.
    if (hint.sid !== undefined && hint.sid === session.sid) {
      await endSession(deps, hash, session);
      return done(true);
    }
  }
  const now = epochSeconds(deps.clock);
  if (confirmation !== undefined && confirmationValid(confirmation, sessionCookie!, now)) {
    await endSession(deps, hash, session);
    return done(true);
  }
  const carry: Record<string, string> = {};
  if (location) {
    for (const name of CARRIED) {
      const value = query.get(name);
      if (value !== null) carry[name] = value;
    }
  }
  return {
    kind: 'confirm',
    csrfToken: confirmationToken(sessionCookie!, now),
    carry,
    location,
    rejectedToken: confirmation !== undefined,
  };
}
