import { compactVerify, createLocalJWKSet } from 'jose';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { AuthorizationPageError } from './authorize.ts';
import type { ClientRepository } from './clients/client.ts';
import { redirectUriRegistered } from './clients/redirect-uri.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { hashSecret } from './secrets.ts';
import type { SessionStore } from './sessions/session.ts';
import type { Signer } from './signer.ts';
import type { RevocationMarkers } from './tokens/markers.ts';

export interface LogoutDependencies {
  readonly issuer: string;
  readonly clock: Clock;
  readonly signer: Pick<Signer, 'jwks'>;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly sessions: Pick<SessionStore, 'get' | 'delete'>;
  readonly markers: Pick<RevocationMarkers, 'write'>;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
}

export interface LogoutOutcome {
  /** Where to send the browser; a "signed out" page when absent. */
  readonly location?: string;
  readonly endedSession: boolean;
}

/** The claims of an ID token we signed; expired ones are fine here (OIDC RP-Initiated Logout §2). */
async function idTokenHint(token: string, deps: LogoutDependencies): Promise<{ sub: string; aud: string; sid?: string }> {
  try {
    const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(await deps.signer.jwks()), {
      algorithms: ['RS256', 'ES256'],
    });
    if (protectedHeader.typ === 'at+jwt') throw new Error('an access token is not an ID token');
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const aud = Array.isArray(claims['aud']) ? claims['aud'][0] : claims['aud'];
    if (claims['iss'] !== deps.issuer || typeof claims['sub'] !== 'string' || typeof aud !== 'string') throw new Error('not our ID token');
    return { sub: claims['sub'], aud, ...(typeof claims['sid'] === 'string' && { sid: claims['sid'] }) };
  } catch {
    throw new AuthorizationPageError('invalid_request', 'id_token_hint is not an ID token this server issued');
  }
}

/**
 * OIDC RP-Initiated Logout: ends the SSO session of this browser, and with
 * `revoke_all_on_logout` every refresh token of the user too (one marker write). Redirects
 * only to a `post_logout_redirect_uri` registered for the client: exactly, or on a loopback IP
 * with any port (a native app listens where it can, RFC 8252 §7.3, as at /authorize).
 */
export async function logout(deps: LogoutDependencies, query: URLSearchParams, sessionCookie: string | undefined): Promise<LogoutOutcome> {
  for (const [name] of query) {
    if (query.getAll(name).length > 1) throw new AuthorizationPageError('invalid_request', `parameter ${name} is repeated`);
  }
  const hintToken = query.get('id_token_hint');
  const hint = hintToken ? await idTokenHint(hintToken, deps) : undefined;
  const clientId = query.get('client_id') ?? hint?.aud;
  if (hint && clientId !== hint.aud) throw new AuthorizationPageError('invalid_request', 'client_id does not match id_token_hint');
  const redirectUri = query.get('post_logout_redirect_uri');
  let location: string | undefined;
  if (redirectUri) {
    const client = clientId ? await deps.clients.get(clientId) : undefined;
    if (!client) throw new AuthorizationPageError('invalid_request', 'post_logout_redirect_uri needs client_id or id_token_hint');
    if (!redirectUriRegistered(client.postLogoutRedirectUris, redirectUri)) {
      throw new AuthorizationPageError('invalid_request', 'post_logout_redirect_uri is not registered for this client');
    }
    const url = new URL(redirectUri);
    const state = query.get('state');
    if (state) url.searchParams.set('state', state);
    location = url.toString();
  }

  const now = epochSeconds(deps.clock);
  const hash = sessionCookie && sessionCookie.length <= 100 ? hashSecret(sessionCookie) : undefined;
  const session = hash ? await deps.sessions.get(hash) : undefined;
  // A hint for another user must not end this browser's session.
  if (!hash || !session || (hint && hint.sub !== session.subject)) return { ...(location && { location }), endedSession: false };
  await deps.sessions.delete(hash);
  const lifetimes = resolveLifetimes(await deps.lifetimes.current());
  if (lifetimes.revoke_all_on_logout.value) {
    await deps.markers.write('user', session.subject, now, now + lifetimes.refresh_token_absolute_ttl.value + 86_400);
  }
  return { ...(location && { location }), endedSession: true };
}
