import { randomUUID } from 'node:crypto';
import { GRANT_TYPES, type Client } from '../clients/client.ts';
import { epochSeconds } from '../clock.ts';
import { familyProof } from '../dpop/binding.ts';
import { InvalidDpopProof, InvalidGrant, InvalidRequest, InvalidScope, InvalidTarget, TemporarilyUnavailable, TooManyRequests } from '../errors.ts';
import type { DpopProof } from '../dpop/proof.ts';
import { grantedResources, parseScope, requestedResource } from '../scopes.ts';
import { hashSecret } from '../secrets.ts';
import { rateLimitTripped } from '../rate-limit.ts';
import { KEPT_ROTATIONS, type Family } from '../tokens/family.ts';
import { discardOpaque, issued, lifetimesFor, userTokenResponse } from '../tokens/issue.ts';
import { decodeRefreshToken, encodeRefreshToken, type RefreshToken } from '../tokens/refresh-token.ts';
import type { GrantDependencies, GrantHandler } from './grant.ts';

/**
 * How far back a presented token is walked to prove it genuine (rotations since it was current):
 * the rotations the family item keeps ({@link KEPT_ROTATIONS}, which also bounds
 * `refresh_rate_limit`). Each step is one HMAC-SHA-256 in this process (in AWS too: KMS derives the
 * key once per cold start), so a whole walk is some tens of microseconds and never holds the event
 * loop. Beyond it, a token that is neither current nor previous is treated as a guess: refused and
 * counted, the family left alone. A thief replaying a token more than this many rotations old is
 * refused, not detected. (An unbounded walk let one forged token cost 100,000 HMACs.)
 */
const MAX_CHAIN_WALK = KEPT_ROTATIONS;
/** More scopes than a registration may hold (100) is never a narrowing. */
const MAX_SCOPES = 100;

const refused = (description = 'refresh token is invalid, expired or revoked') => new InvalidGrant(description);

/** What a security event about a family says of it. */
const familyFacts = (family: Family) => ({ family_id: family.familyId, subject: family.subject, client_id: family.clientId, sid: family.sid });

/**
 * Tokens of a live family that are neither current nor previous (an older one, or a guess) are
 * counted on their own, off the happy path, *before* any successor is derived: past the limit
 * they are answered 429 at the cost of one counter write. (Dead, unknown or foreign families are
 * refused outright: there is nothing there to guess.)
 */
async function countFailedAttempt(attempt: Attempt, deps: GrantDependencies, stored: Family): Promise<void> {
  const { count, resetAt } = await deps.rates.hit(`refresh#${attempt.presented.familyId}`, attempt.window, attempt.now);
  if (count > attempt.limit) {
    deps.metrics.count('RateLimited', { Limit: 'refresh_failures' });
    await rateLimitTripped(deps.events, 'refresh_failures', stored.familyId, resetAt, familyFacts(stored));
    throw new TooManyRequests(resetAt - attempt.now, 'too many failed refresh attempts');
  }
}

/**
 * A retry within the reuse interval writes nothing to the family, so the rotation limit inside
 * that write cannot see it: retries are counted per family on their own counter, against the
 * same `refresh_rate_limit` per `rate_limit_window` (on the retry path only).
 */
async function countRetry(attempt: Attempt, deps: GrantDependencies, stored: Family): Promise<void> {
  const { count, resetAt } = await deps.rates.hit(`refresh-retry#${attempt.presented.familyId}`, attempt.window, attempt.now);
  if (count > attempt.limit) {
    deps.metrics.count('RateLimited', { Limit: 'refresh_retries' });
    await rateLimitTripped(deps.events, 'refresh_retries', stored.familyId, resetAt, familyFacts(stored));
    throw new TooManyRequests(resetAt - attempt.now, 'too many refreshes of this token family');
  }
}

/**
 * Whether `presented` is a token this family really issued at most {@link MAX_CHAIN_WALK}
 * rotations ago: walk the successor chain forward from it; a genuine superseded token reaches
 * the current hash, a guess does not.
 */
async function isSuperseded(presented: RefreshToken, family: Family, deps: GrantDependencies): Promise<boolean> {
  const back = family.generation - presented.generation;
  if (back < 1 || back > MAX_CHAIN_WALK) return false;
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
  deps.forgetFamily?.(family.familyId);
  throw refused('refresh token was already used: the session is revoked');
}

/** What a refresh knows before it commits anything. */
interface Attempt {
  readonly presented: RefreshToken;
  readonly presentedHash: string;
  /** The next secret, derived once and only when needed (a guess never derives it). */
  readonly successor: () => Promise<string>;
  readonly client: Client;
  readonly rotate: boolean;
  readonly idleTtl: number;
  readonly interval: number;
  readonly limit: number;
  readonly window: number;
  readonly limitedGeneration: number;
  readonly requestedScope: readonly string[] | undefined;
  readonly proof: DpopProof | undefined;
  readonly requestedResource: string | undefined;
  readonly now: number;
}

/**
 * A refresh may narrow, never widen (RFC 6749 §6, RFC 8707 §2.2): the scope to part of the
 * family's, the audience to one of the resources the family was granted. Checked on every item
 * the decision rests on (the read, and the item a refused write returns), on the retry path too.
 */
function checkNarrowing(stored: Family, attempt: Attempt): void {
  if (attempt.requestedScope?.some((scope) => !stored.scope.includes(scope))) throw new InvalidScope('requested scope exceeds the scope granted');
  if (attempt.requestedResource !== undefined && !grantedResources(stored).includes(attempt.requestedResource)) {
    throw new InvalidTarget('resource is not one this refresh token was granted');
  }
}

/**
 * Where the presented token stands in the family as stored: `current` (rotate it), `retry` (the
 * previous token sent again within the reuse interval: it gets the same successor, no write, and
 * counts against the retry limit), or an error — reuse revokes the family, an older token or a
 * guess counts against the failure limit before the chain is walked, anything dead or foreign is
 * refused. Used on the read before signing, and again on the item a refused write returns (the
 * family changed in between).
 */
async function standing(stored: Family | undefined, attempt: Attempt, deps: GrantDependencies): Promise<'current' | 'retry'> {
  const { presented, presentedHash, client, rotate, now } = attempt;
  if (!stored || stored.revoked || stored.clientId !== client.clientId || stored.absoluteExpiresAt !== presented.absoluteExpiresAt) {
    throw refused();
  }
  if (stored.absoluteExpiresAt <= now || stored.lastUsedAt <= now - attempt.idleTtl) {
    const reason = stored.absoluteExpiresAt <= now ? 'absolute' : 'idle';
    deps.metrics.count('FamilyRevoked', { Reason: reason });
    // Seen once per family: nothing on the table changes for it (TTL deletes the item later).
    await deps.events?.record({
      type: 'family_expired',
      facts: { ...familyFacts(stored), reason },
      once: { key: stored.familyId, until: stored.absoluteExpiresAt + 86_400 },
    });
    throw refused('refresh token expired');
  }
  // RFC 9449 §5: a bound family answers only proofs of its key. Anyone else — a thief with the
  // token alone — is refused before reuse detection, so they can neither refresh nor log the user out.
  if (stored.jkt !== undefined && attempt.proof?.jkt !== stored.jkt) {
    deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
    throw refused(attempt.proof ? 'the refresh token is bound to another DPoP key' : 'the refresh token is DPoP-bound: send a proof of its key');
  }
  // A request of a recent use, sent again: its proof is spent, and the family is left alone
  // (not taken for reuse: the sender need not hold the key the proof was made with).
  familyProof(stored.proofs, attempt.proof, now);
  if (stored.currentHash === presentedHash && stored.generation === presented.generation) {
    const limitedAt = stored.rotations[attempt.limitedGeneration];
    if (rotate && limitedAt !== undefined && limitedAt >= now - attempt.window) {
      deps.metrics.count('RateLimited', { Limit: 'refresh' });
      await rateLimitTripped(deps.events, 'refresh', `${stored.familyId}#${attempt.limitedGeneration}`, limitedAt + attempt.window + 1, familyFacts(stored));
      throw new TooManyRequests(limitedAt + attempt.window - now + 1, 'too many refreshes of this token family');
    }
    checkNarrowing(stored, attempt);
    return 'current';
  }
  if (rotate && stored.previousHash === presentedHash && stored.generation === presented.generation + 1) {
    if (attempt.interval > 0 && stored.rotatedAt !== undefined && now - stored.rotatedAt <= attempt.interval) {
      // A retry (a lost response, concurrent tabs): the same successor, no write, but counted.
      await countRetry(attempt, deps, stored);
      if (hashSecret(await attempt.successor()) === stored.currentHash) {
        // A retry may narrow, never widen, as the refresh it repeats.
        checkNarrowing(stored, attempt);
        return 'retry';
      }
    }
    return reuseDetected(stored, client, deps, now);
  }
  await countFailedAttempt(attempt, deps, stored);
  if (rotate && (await isSuperseded(presented, stored, deps))) return reuseDetected(stored, client, deps, now);
  deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
  throw refused();
}

/**
 * RFC 6749 §6 with OAuth 2.1 rotation and reuse detection (RFC 9700 §4.14.2).
 *
 * Nothing is committed before the response exists: read the family (consistently), decide, sign
 * the new access token, and only then make the one conditional write that rotates. A signer or
 * store failure before the write leaves the family as it was, so the client's retry with the
 * same token succeeds; the write's condition catches whatever changed since the read, and its
 * refused item tells a concurrent reuse (revoke) from a retry within the grace interval (same
 * successor) from a forgery or an expired family (refuse, change nothing).
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: GRANT_TYPES.refreshToken,
  async handle({ client, params, proof }, deps) {
    const raw = params.get('refresh_token');
    if (!raw) throw new InvalidRequest('refresh_token is required');
    const presented = decodeRefreshToken(raw);
    if (!presented) throw refused();
    const requestedScope = parseScope(params.get('scope'));
    // A family's scope is a subset of what the client may hold, so anything else is refused
    // before any read (and the write's condition stays small).
    if (requestedScope?.some((scope) => !client.scopes.includes(scope)) || (requestedScope?.length ?? 0) > MAX_SCOPES) {
      throw new InvalidScope('requested scope exceeds the scope granted');
    }
    // Likewise a family's resources are among the client's audiences.
    const resource = requestedResource(params);
    if (resource !== undefined && !client.audiences.includes(resource)) throw new InvalidTarget('resource is not one this refresh token was granted');
    // The family is read first: the lifetime profile of its login governs every refresh.
    const stored = await deps.families.get(presented.familyId);
    const profile = stored?.clientId === client.clientId ? stored.lifetimeProfile : undefined;
    const settings = await lifetimesFor(deps, client, undefined, profile);
    const rotate = settings.refresh_token_rotation.value;
    const limit = settings.refresh_rate_limit.value;
    const derive = async (): Promise<string> =>
      rotate ? deps.successors.successor(presented.familyId, presented.generation, presented.secret) : presented.secret;
    let successor: Promise<string> | undefined;
    const attempt: Attempt = {
      presented,
      presentedHash: hashSecret(presented.secret),
      successor: () => (successor ??= derive()),
      client,
      rotate,
      idleTtl: settings.refresh_token_idle_ttl.value,
      interval: settings.refresh_token_reuse_interval.value,
      limit,
      window: settings.rate_limit_window.value,
      limitedGeneration: presented.generation + 1 - limit,
      requestedScope,
      proof,
      requestedResource: resource,
      now: epochSeconds(deps.clock),
    };
    const { now } = attempt;

    const initial = await standing(stored, attempt, deps);
    const family = stored!;
    const next = await attempt.successor();
    const generation = rotate ? presented.generation + 1 : presented.generation;
    const scope = requestedScope ?? family.scope;
    // The family keeps its whole grant: without a resource, its default audience again.
    const audience = resource ?? family.audience;
    const lifetimes = await lifetimesFor(deps, client, audience, profile);
    const rotationId = randomUUID();
    // The markers are read afresh, beside the signature (in AWS a KMS call that takes longer).
    const [validAfter, response] = await Promise.all([
      deps.markers.validAfter(family.subject, client.clientId),
      userTokenResponse(deps, {
        client,
        grant: { ...family, scope, audience },
        lifetimes,
        refreshToken: encodeRefreshToken({ familyId: family.familyId, generation, absoluteExpiresAt: family.absoluteExpiresAt, secret: next }),
        familyId: family.familyId,
        jti: rotationId,
        jkt: proof?.jkt,
        // OIDC Core §12.2 lets a refresh answer without an ID token. The login it would describe
        // has not changed, and each token is one more KMS Sign (cost, quota, a round trip).
        idToken: false,
      }),
    ]);
    // A bulk revocation kills everything from a login at or before it, however recently refreshed.
    if (family.authTime <= validAfter) {
      await discardOpaque(deps, lifetimes.access_token_format.value, response);
      if (await deps.families.revoke(family.familyId, 'marker', now)) deps.metrics.count('FamilyRevoked', { Reason: 'marker' });
      throw refused('refresh token revoked');
    }
    const proofRecord = familyProof(family.proofs, proof, now);
    if (initial === 'retry') {
      // A retry writes nothing else; its proof is recorded so that it, too, is good once.
      if (proofRecord && !(await deps.families.recordProof(family.familyId, proofRecord))) {
        await discardOpaque(deps, lifetimes.access_token_format.value, response);
        throw new InvalidDpopProof('the DPoP proof was already used');
      }
      return issued(deps, client, response, GRANT_TYPES.refreshToken);
    }

    const idleTtl = attempt.idleTtl;
    const window = attempt.window;
    const result = await deps.families.rotate({
      familyId: presented.familyId,
      clientId: client.clientId,
      generation: presented.generation,
      absoluteExpiresAt: presented.absoluteExpiresAt,
      presentedHash: attempt.presentedHash,
      nextHash: hashSecret(next),
      now,
      idleCutoff: now - idleTtl,
      expiresAt: Math.min(now + idleTtl, presented.absoluteExpiresAt),
      rotate,
      rotationId,
      proof: proofRecord,
      listedAs: { subject: family.subject, createdAt: family.createdAt },
      requiredScope: requestedScope,
      requiredResource: resource,
      rateLimit: rotate && attempt.limitedGeneration >= 1 ? { generation: attempt.limitedGeneration, windowStart: now - window } : undefined,
    });
    // Committed, or committed by an earlier attempt of this same write that the SDK retried.
    if (result.outcome === 'rotated' || result.family?.rotationId === rotationId) {
      if (rotate) deps.metrics.count('RefreshRotated', { ClientId: client.clientId });
      return issued(deps, client, response, GRANT_TYPES.refreshToken);
    }
    // The family changed since the read. The response was never sent, so nothing it holds exists.
    try {
      if ((await standing(result.family, attempt, deps)) === 'retry') return issued(deps, client, response, GRANT_TYPES.refreshToken);
      // Still current, yet refused: a write raced this one and lost. Nothing changed; send it again.
      throw new TemporarilyUnavailable();
    } catch (error) {
      await discardOpaque(deps, lifetimes.access_token_format.value, response);
      throw error;
    }
  },
};
