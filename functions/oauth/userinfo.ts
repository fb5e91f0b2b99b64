import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { userinfoClaims } from './claims.ts';
import { epochSeconds } from './clock.ts';
import { checkResourceProof, RESOURCE_CHALLENGE, type TokenScheme } from './dpop/resource-proof.ts';
import type { ProofReplays } from './dpop/replay.ts';
import { InvalidToken, OAuthError } from './errors.ts';
import type { ProfileStore } from './sessions/profile.ts';
import { inspectToken, type InspectDependencies } from './tokens/inspect.ts';

export interface UserinfoDependencies extends InspectDependencies {
  readonly profiles: Pick<ProfileStore, 'get'>;
  /** DPoP proofs seen here: a proof is good for one request. */
  readonly proofReplays: ProofReplays;
}

/** The access token of a request, and the scheme it came with. */
export interface Credential {
  readonly token: string;
  readonly scheme: TokenScheme;
}

/** What of the request the DPoP check needs (RFC 9449 §7). */
export interface ResourceRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
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
 * The access token of a request: the `Authorization` header — `Bearer` (RFC 6750 §2.1) or `DPoP`
 * (RFC 9449 §7.1) — or for a POST the form body's `access_token` (RFC 6750 §2.2, a bearer token).
 * One method only (§2: "MUST NOT use more than one"); query tokens are never accepted.
 */
export function accessCredential(authorization: string | undefined, form?: ReadonlyMap<string, string>): Credential {
  const inBody = form?.get('access_token');
  if (inBody !== undefined) {
    if (authorization !== undefined && authorization.trim() !== '') {
      throw new OAuthError('invalid_request', 400, 'send the access token in one way only: the Authorization header or the body', {
        headers: { 'WWW-Authenticate': 'Bearer realm="lifespan", error="invalid_request"' },
      });
    }
    authorization = `Bearer ${inBody}`;
  }
  const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization?.trim() ?? '');
  if (!match) {
    throw new OAuthError('invalid_request', 401, 'an access token is required (Authorization: Bearer or DPoP)', {
      headers: { 'WWW-Authenticate': RESOURCE_CHALLENGE },
    });
  }
  return { token: match[2]!, scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' };
}

/**
 * `/userinfo`: an active access token (JWT or opaque; never an ID token) that holds `openid`,
 * answered with `sub` and the claims its scopes release from the user's latest login, plus those
 * a `claims` request asked of userinfo.
 */
export async function userinfo(credential: Credential, request: ResourceRequest, deps: UserinfoDependencies): Promise<Record<string, unknown>> {
  const { token, scheme } = credential;
  const inspected = await inspectToken(token, deps);
  if (!inspected || inspected.kind !== 'access_token' || !inspected.active) {
    throw new InvalidToken('the access token is invalid, expired or revoked');
  }
  await checkResourceProof({
    scheme,
    token,
    jkt: inspected.jkt,
    headers: request.headers,
    method: request.method,
    url: `${deps.issuer}/userinfo`,
    now: epochSeconds(deps.clock),
    skew: resolveLifetimes(await deps.lifetimes.current()).clock_skew_tolerance.value,
    replays: deps.proofReplays,
  });
  if (!inspected.scope.includes('openid')) throw new InsufficientScope('the access token does not hold the openid scope');
  const profile = await deps.profiles.get(inspected.subject);
  return { ...userinfoClaims(profile?.claims, inspected.scope, inspected.userinfoClaims), sub: inspected.subject };
}
