import type { ResolvedLifetimes } from '../../lifetimes/resolver.ts';
import { GRANT_TYPES, type Client } from '../clients/client.ts';
import { hashSecret } from '../secrets.ts';
import { authenticationOf } from '../sessions/authentication.ts';
import type { Family, Grant, NewFamilyItem } from './family.ts';
import { encodeRefreshToken, newRefreshSecret } from './refresh-token.ts';

/** A refresh token goes with `offline_access` (OIDC Core §11) to clients allowed the grant. */
export function issuesRefreshToken(client: Client, scope: readonly string[]): boolean {
  return client.grantTypes.includes(GRANT_TYPES.refreshToken) && scope.includes('offline_access');
}

/**
 * The first state of a refresh-token family for a grant: the item to store, its TTL
 * (min(idle, absolute)), and the first secret, which exists only in the token handed out.
 */
export function newFamily(input: {
  readonly clientId: string;
  readonly grant: Grant;
  readonly familyId: string;
  readonly now: number;
  readonly idleTtl: number;
  readonly absoluteTtl: number;
  readonly rotation: boolean;
}): { family: Family; expiresAt: number; secret: string } {
  const { grant, now } = input;
  const secret = newRefreshSecret();
  const absoluteExpiresAt = now + input.absoluteTtl;
  const family: Family = {
    familyId: input.familyId,
    subject: grant.subject,
    clientId: input.clientId,
    sid: grant.sid,
    scope: grant.scope,
    audience: grant.audience,
    resources: grant.resources,
    authTime: grant.authTime,
    ...authenticationOf(grant),
    jkt: grant.jkt,
    requestedClaims: grant.requestedClaims,
    createdAt: now,
    absoluteExpiresAt,
    lastUsedAt: now,
    generation: 0,
    currentHash: hashSecret(secret),
    rotation: input.rotation,
    revoked: false,
    rotations: {},
  };
  return { family, expiresAt: Math.min(now + input.idleTtl, absoluteExpiresAt), secret };
}

/**
 * The refresh-token family a new user grant (a code exchange, an approved device) starts, when
 * the client and scope call for one: the item to store with the grant's single use, and the
 * first refresh token. Nothing is written here: the grant commits both in one write, after the
 * response is ready.
 */
export function firstFamilyState(
  client: Client,
  grant: Grant,
  familyId: string,
  lifetimes: ResolvedLifetimes,
  now: number,
): { item: NewFamilyItem; refreshToken: string } | undefined {
  if (!issuesRefreshToken(client, grant.scope)) return undefined;
  const { family, expiresAt, secret } = newFamily({
    clientId: client.clientId,
    grant,
    familyId,
    now,
    idleTtl: lifetimes.refresh_token_idle_ttl.value,
    absoluteTtl: lifetimes.refresh_token_absolute_ttl.value,
    rotation: lifetimes.refresh_token_rotation.value,
  });
  return {
    item: { family, expiresAt },
    refreshToken: encodeRefreshToken({ familyId, generation: 0, absoluteExpiresAt: family.absoluteExpiresAt, secret }),
  };
}
