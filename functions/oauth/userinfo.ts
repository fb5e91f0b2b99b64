import { userinfoClaims } from './claims.ts';
import { InvalidToken, OAuthError } from './errors.ts';
import type { ProfileStore } from './sessions/profile.ts';
import { inspectToken, type InspectDependencies } from './tokens/inspect.ts';

export interface UserinfoDependencies extends InspectDependencies {
  readonly profiles: Pick<ProfileStore, 'get'>;
}

/** RFC 6750 §3.1 `insufficient_scope`: 403 with a Bearer challenge. */
export class InsufficientScope extends OAuthError {
  constructor(description: string) {
    super('insufficient_scope', 403, description, {
      headers: { 'WWW-Authenticate': `Bearer realm="lifespan", error="insufficient_scope", scope="openid"` },
    });
  }
}

/**
 * The bearer token of a request: the `Authorization` header (RFC 6750 §2.1), or for a POST the
 * form body's `access_token` (§2.2). One method only (§2: "MUST NOT use more than one"); query
 * tokens are never accepted.
 */
export function bearerToken(authorization: string | undefined, form?: ReadonlyMap<string, string>): string {
  const inBody = form?.get('access_token');
  if (inBody !== undefined) {
    if (authorization !== undefined && authorization.trim() !== '') {
      throw new OAuthError('invalid_request', 400, 'send the access token in one way only: the Authorization header or the body', {
        headers: { 'WWW-Authenticate': 'Bearer realm="lifespan", error="invalid_request"' },
      });
    }
    authorization = `Bearer ${inBody}`;
  }
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization?.trim() ?? '');
  if (!match) {
    throw new OAuthError('invalid_request', 401, 'a bearer access token is required', {
      headers: { 'WWW-Authenticate': 'Bearer realm="lifespan"' },
    });
  }
  return match[1]!;
}

/**
 * `/userinfo`: an active access token (JWT or opaque; never an ID token) that holds `openid`,
 * answered with `sub` and the claims its scopes release from the user's latest login, plus those
 * a `claims` request asked of userinfo.
 */
export async function userinfo(token: string, deps: UserinfoDependencies): Promise<Record<string, unknown>> {
  const inspected = await inspectToken(token, deps);
  if (!inspected || inspected.kind !== 'access_token' || !inspected.active) {
    throw new InvalidToken('the access token is invalid, expired or revoked');
  }
  if (!inspected.scope.includes('openid')) throw new InsufficientScope('the access token does not hold the openid scope');
  const profile = await deps.profiles.get(inspected.subject);
  return { ...userinfoClaims(profile?.claims, inspected.scope, inspected.userinfoClaims), sub: inspected.subject };
}
