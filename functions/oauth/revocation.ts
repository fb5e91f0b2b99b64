import type { Client } from './clients/client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import type { DpopProof } from './dpop/proof.ts';
import { InvalidDpopProof, InvalidRequest } from './errors.ts';
import { hashSecret } from './secrets.ts';
import type { AccessTokenStore } from './tokens/access-token-store.ts';
import type { FamilyStore } from './tokens/family.ts';
import { cacheKey, type IntrospectionCache } from './introspection.ts';
import { inspectToken, type InspectDependencies } from './tokens/inspect.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface RevocationDependencies extends InspectDependencies {
  readonly clock: Clock;
  readonly families: Pick<FamilyStore, 'get' | 'revoke'>;
  readonly accessTokens: Pick<AccessTokenStore, 'getOpaque' | 'isDenied' | 'deny' | 'deleteOpaque'>;
  readonly metrics: Metrics;
  /** This function's introspection answers: a revocation here forgets what they said. */
  readonly cache?: Pick<IntrospectionCache, 'forget' | 'forgetFamily'>;
}

/**
 * A public client authenticates with nothing but its id: for its DPoP-bound tokens (RFC 9449)
 * the key is the credential, so someone holding only the token cannot revoke them — a stolen
 * refresh token must not be a way to log the user out. (A confidential client's secret does it.)
 */
function requireKeyOfPublicClient(client: Client, jkt: string | undefined, proof: DpopProof | undefined): void {
  if (jkt !== undefined && client.type === 'public' && proof?.jkt !== jkt) {
    throw new InvalidDpopProof('revoking a DPoP-bound token needs a DPoP proof of its key');
  }
}

/**
 * RFC 7009. A refresh token revokes its whole family; a JWT access token is denylisted by
 * `jti` until it expires; an opaque one is deleted. A token that is unknown, already invalid,
 * or issued to another client changes nothing and still answers 200, so the endpoint tells a
 * caller nothing about tokens that are not its own. `token_type_hint` is only a hint: every
 * kind is tried.
 */
export async function revokeToken(client: Client, params: ReadonlyMap<string, string>, deps: RevocationDependencies, proof?: DpopProof): Promise<void> {
  // RFC 7009 §2.2.1 lets a server refuse unknown token_type_hint values; ignoring the hint is as safe.
  const token = params.get('token');
  if (!token) throw new InvalidRequest('token is required');
  const inspected = await inspectToken(token, deps);
  if (!inspected) return;
  const now = epochSeconds(deps.clock);
  if (inspected.kind === 'refresh_token') {
    if (inspected.family.clientId !== client.clientId) return;
    requireKeyOfPublicClient(client, inspected.family.jkt, proof);
    if (await deps.families.revoke(inspected.family.familyId, 'revoked', now)) deps.metrics.count('FamilyRevoked', { Reason: 'revoked' });
    deps.cache?.forgetFamily(inspected.family.familyId);
    return;
  }
  if (inspected.clientId !== client.clientId || inspected.expiresAt <= now) return;
  requireKeyOfPublicClient(client, inspected.jkt, proof);
  if (inspected.format === 'opaque') await deps.accessTokens.deleteOpaque(hashSecret(token));
  else await deps.accessTokens.deny(inspected.jti, inspected.expiresAt);
  deps.cache?.forget(cacheKey(token));
}
