import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import { resolveLifetimes } from '../../lifetimes/resolver.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { hashSecret } from '../secrets.ts';
import type { Signer } from '../signer.ts';
import type { AccessTokenStore, OpaqueAccessToken } from './access-token-store.ts';
import type { Family, FamilyStore } from './family.ts';
import type { RevocationMarkers } from './markers.ts';
import { decodeRefreshToken } from './refresh-token.ts';

export interface InspectDependencies {
  readonly issuer: string;
  readonly clock: Clock;
  readonly signer: Pick<Signer, 'jwks'>;
  readonly families: Pick<FamilyStore, 'get'>;
  readonly accessTokens: Pick<AccessTokenStore, 'getOpaque' | 'isDenied'>;
  readonly markers: Pick<RevocationMarkers, 'validAfter'>;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
}

/** What a token is, and whether it is active now. `active` already reflects every check. */
export type Inspection =
  | { readonly kind: 'refresh_token'; readonly active: boolean; readonly family: Family; readonly expiresAt: number }
  | ({
      readonly kind: 'access_token';
      readonly format: 'jwt' | 'opaque';
      readonly active: boolean;
      // The facts of the token, a JWT's as a stored opaque token's.
    } & OpaqueAccessToken);

async function familyActive(family: Family, secret: string | undefined, deps: InspectDependencies, now: number): Promise<{ active: boolean; expiresAt: number }> {
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), { clientId: family.clientId, profile: family.lifetimeProfile });
  const expiresAt = Math.min(family.lastUsedAt + lifetimes.refresh_token_idle_ttl.value, family.absoluteExpiresAt);
  const current = secret === undefined || hashSecret(secret) === family.currentHash;
  const active =
    current && !family.revoked && expiresAt > now && family.authTime > (await deps.markers.validAfter(family.subject, family.clientId));
  return { active, expiresAt };
}

async function inspectJwt(token: string, deps: InspectDependencies, now: number): Promise<Inspection | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(await deps.signer.jwks()), {
      issuer: deps.issuer,
      typ: 'at+jwt',
      algorithms: ['RS256', 'ES256'],
      // The issuer's own clock made exp: no skew to tolerate here (resource servers' verifiers allow it).
      clockTolerance: 0,
      currentDate: new Date(now * 1000),
    }));
  } catch {
    // Not ours, tampered, an ID token, or expired: for every caller it is simply not active.
    return undefined;
  }
  const { sub, exp, iat, jti } = payload;
  const clientId = payload['client_id'];
  if (typeof sub !== 'string' || typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string' || typeof clientId !== 'string') {
    return undefined;
  }
  const familyId = typeof payload['fid'] === 'string' ? payload['fid'] : undefined;
  const authTime = typeof payload['auth_time'] === 'number' ? payload['auth_time'] : undefined;
  const cnf = payload['cnf'];
  const jkt = typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string' ? (cnf as { jkt: string }).jkt : undefined;
  const asked = payload['userinfo_claims'];
  const userinfoClaims = Array.isArray(asked) ? asked.filter((name): name is string => typeof name === 'string') : undefined;
  const lifetimeProfile = typeof payload['lifetime_profile'] === 'string' ? payload['lifetime_profile'] : undefined;
  const [denied, validAfter, family] = await Promise.all([
    deps.accessTokens.isDenied(jti, now),
    deps.markers.validAfter(sub, clientId),
    familyId !== undefined ? deps.families.get(familyId) : undefined,
  ]);
  // Markers apply to the login behind the token (client credentials have none: their issue time).
  const active = !denied && (authTime ?? iat) > validAfter && (familyId === undefined || (family !== undefined && !family.revoked));
  return {
    kind: 'access_token',
    format: 'jwt',
    active,
    clientId,
    subject: sub,
    scope: typeof payload['scope'] === 'string' ? payload['scope'].split(' ').filter(Boolean) : [],
    audience: Array.isArray(payload.aud) ? String(payload.aud[0]) : String(payload.aud),
    issuedAt: iat,
    expiresAt: exp,
    jti,
    authTime,
    familyId,
    jkt,
    userinfoClaims,
    lifetimeProfile,
  };
}

/**
 * Finds out what a presented token is — a refresh token, a JWT or an opaque access token —
 * and whether it is active: unexpired, unrevoked (family, denylist, revoke-all markers), and
 * for a refresh token, the current one of its family. `undefined` when it is none of ours.
 */
export async function inspectToken(token: string, deps: InspectDependencies): Promise<Inspection | undefined> {
  const now = epochSeconds(deps.clock);
  if (token.length > 8192) return undefined;
  const refresh = decodeRefreshToken(token);
  if (refresh) {
    const family = await deps.families.get(refresh.familyId);
    if (!family || family.absoluteExpiresAt !== refresh.absoluteExpiresAt) return undefined;
    const superseded = family.generation !== refresh.generation || hashSecret(refresh.secret) !== family.currentHash;
    if (superseded && family.previousHash !== hashSecret(refresh.secret)) return undefined;
    const { active, expiresAt } = await familyActive(family, refresh.secret, deps, now);
    return { kind: 'refresh_token', active, family, expiresAt };
  }
  if (token.startsWith('lsa_')) {
    const stored = await deps.accessTokens.getOpaque(hashSecret(token));
    if (!stored) return undefined;
    const [validAfter, family] = await Promise.all([
      deps.markers.validAfter(stored.subject, stored.clientId),
      stored.familyId !== undefined ? deps.families.get(stored.familyId) : undefined,
    ]);
    const active =
      stored.expiresAt > now &&
      (stored.authTime ?? stored.issuedAt) > validAfter &&
      (stored.familyId === undefined || (family !== undefined && !family.revoked));
    return { kind: 'access_token', format: 'opaque', active, ...stored };
  }
  if (token.split('.').length === 3) return inspectJwt(token, deps, now);
  return undefined;
}
