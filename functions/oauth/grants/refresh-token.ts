import { GRANT_TYPES, type Client } from '../clients/client.ts';
import { epochSeconds } from '../clock.ts';
import { InvalidGrant, InvalidRequest, InvalidScope, TooManyRequests } from '../errors.ts';
import { parseScope } from '../scopes.ts';
import { hashSecret } from '../secrets.ts';
import type { Family } from '../tokens/family.ts';
import { lifetimesFor, userTokenResponse } from '../tokens/issue.ts';
import { decodeRefreshToken, encodeRefreshToken, type RefreshToken } from '../tokens/refresh-token.ts';
import type { GrantDependencies, GrantHandler } from './grant.ts';

/** How far back a presented token may be walked to prove it genuine (rotations since it was current). */
const MAX_CHAIN_WALK = 100_000;
/** More scopes than a registration may hold (100) is never a narrowing. */
const MAX_SCOPES = 100;

const refused = (description = 'refresh token is invalid, expired or revoked') => new InvalidGrant(description);

/**
 * Guesses at a live family's secret are counted on their own, off the happy path: past the
 * limit they are answered 429 instead of invalid_grant. (Dead, unknown or foreign families
 * are refused outright: there is nothing there to guess.)
 */
async function failedAttempt(familyId: string, limit: number, window: number, deps: GrantDependencies, now: number, error: Error): Promise<never> {
  const { count, resetAt } = await deps.rates.hit(`refresh#${familyId}`, window, now);
  if (count > limit) {
    deps.metrics.count('RateLimited', { Limit: 'refresh_failures' });
    throw new TooManyRequests(resetAt - now, 'too many failed refresh attempts');
  }
  throw error;
}

/**
 * Whether `presented` is a token this family really issued earlier: walk the successor chain
 * forward from it; a genuine superseded token reaches the current hash, a guess does not.
 */
async function isSuperseded(presented: RefreshToken, family: Family, deps: GrantDependencies): Promise<boolean> {
  if (presented.generation >= family.generation || family.generation - presented.generation > MAX_CHAIN_WALK) return false;
  let secret = presented.secret;
  for (let generation = presented.generation; generation < family.generation; generation += 1) {
    secret = await deps.successors.successor(presented.familyId, generation, secret);
  }
  return hashSecret(secret) === family.currentHash;
}

async function reuseDetected(family: Family, client: Client, deps: GrantDependencies, now: number): Promise<never> {
  deps.logger.warn('refresh_token_reuse_detected', { family_id: family.familyId, client_id: client.clientId, subject: family.subject });
  deps.metrics.count('RefreshReuseDetected', { ClientId: client.clientId });
  if (await deps.families.revokeForReuse(family.familyId, now)) deps.metrics.count('FamilyRevoked', { Reason: 'reuse' });
  throw refused('refresh token was already used: the session is revoked');
}

/**
 * RFC 6749 §6 with OAuth 2.1 rotation and reuse detection (RFC 9700 §4.14.2). The happy path
 * is one conditional write on the family item; a failed condition returns the item as it was,
 * which tells a reuse (revoke the family) from a retry within the grace interval (same
 * successor) from a forgery or an expired family (refuse, change nothing).
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: GRANT_TYPES.refreshToken,
  async handle({ client, params }, deps) {
    const raw = params.get('refresh_token');
    if (!raw) throw new InvalidRequest('refresh_token is required');
    const presented = decodeRefreshToken(raw);
    if (!presented) throw refused();
    const requestedScope = parseScope(params.get('scope'));
    // A family's scope is a subset of what the client may hold, so anything else is refused
    // before the write (and the write's condition stays small).
    if (requestedScope?.some((scope) => !client.scopes.includes(scope)) || (requestedScope?.length ?? 0) > MAX_SCOPES) {
      throw new InvalidScope('requested scope exceeds the scope granted');
    }
    const settings = await lifetimesFor(deps, client);
    const rotate = settings.refresh_token_rotation.value;
    const idleTtl = settings.refresh_token_idle_ttl.value;
    const now = epochSeconds(deps.clock);
    const limit = settings.refresh_rate_limit.value;
    const window = settings.rate_limit_window.value;
    const limitedGeneration = presented.generation + 1 - limit;
    const presentedHash = hashSecret(presented.secret);
    const successor = rotate
      ? await deps.successors.successor(presented.familyId, presented.generation, presented.secret)
      : presented.secret;

    const result = await deps.families.rotate({
      familyId: presented.familyId,
      clientId: client.clientId,
      generation: presented.generation,
      absoluteExpiresAt: presented.absoluteExpiresAt,
      presentedHash,
      nextHash: hashSecret(successor),
      now,
      idleCutoff: now - idleTtl,
      expiresAt: Math.min(now + idleTtl, presented.absoluteExpiresAt),
      rotate,
      ...(requestedScope !== undefined && { requiredScope: requestedScope }),
      ...(rotate && limitedGeneration >= 1 && { rateLimit: { generation: limitedGeneration, windowStart: now - window } }),
    });

    let family: Family;
    if (result.outcome === 'rotated') {
      family = result.family;
      if (rotate) deps.metrics.count('RefreshRotated', { ClientId: client.clientId });
    } else {
      const stored = result.family;
      if (!stored || stored.revoked || stored.clientId !== client.clientId || stored.absoluteExpiresAt !== presented.absoluteExpiresAt) {
        throw refused();
      }
      if (stored.absoluteExpiresAt <= now || stored.lastUsedAt <= now - idleTtl) {
        deps.metrics.count('FamilyRevoked', { Reason: stored.absoluteExpiresAt <= now ? 'absolute' : 'idle' });
        throw refused('refresh token expired');
      }
      if (stored.currentHash === presentedHash && stored.generation === presented.generation) {
        // The token is current: the rate limit or the scope condition failed.
        const limitedAt = stored.rotations[limitedGeneration];
        if (rotate && limitedAt !== undefined && limitedAt >= now - window) {
          deps.metrics.count('RateLimited', { Limit: 'refresh' });
          throw new TooManyRequests(limitedAt + window - now + 1, 'too many refreshes of this token family');
        }
        throw new InvalidScope('requested scope exceeds the scope granted');
      }
      const previous =
        rotate && stored.previousHash === presentedHash && stored.generation === presented.generation + 1;
      const interval = settings.refresh_token_reuse_interval.value;
      if (previous && interval > 0 && stored.rotatedAt !== undefined && now - stored.rotatedAt <= interval && hashSecret(successor) === stored.currentHash) {
        // A retry (a lost response, concurrent tabs): the same successor, no write.
        family = stored;
      } else if (previous || (rotate && (await isSuperseded(presented, stored, deps)))) {
        return reuseDetected(stored, client, deps, now);
      } else {
        deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
        return failedAttempt(presented.familyId, limit, window, deps, now, refused());
      }
    }

    if (family.createdAt <= (await deps.markers.validAfter(family.subject, client.clientId))) {
      if (await deps.families.revoke(family.familyId, 'marker', now)) deps.metrics.count('FamilyRevoked', { Reason: 'revoked' });
      throw refused('refresh token revoked');
    }
    const scope = requestedScope ?? family.scope;
    if (scope.some((entry) => !family.scope.includes(entry))) throw new InvalidScope('requested scope exceeds the scope granted');
    const refreshToken = encodeRefreshToken({
      familyId: family.familyId,
      generation: family.generation,
      absoluteExpiresAt: family.absoluteExpiresAt,
      secret: successor,
    });
    return userTokenResponse(deps, {
      client,
      grant: { ...family, scope },
      lifetimes: await lifetimesFor(deps, client, family.audience),
      refreshToken,
      familyId: family.familyId,
      grantType: GRANT_TYPES.refreshToken,
      // OIDC Core §12.2 lets a refresh answer without an ID token. The login it would describe
      // has not changed, and each token is one more KMS Sign (cost, quota, a round trip).
      idToken: false,
    });
  },
};
