import { randomUUID } from 'node:crypto';
import { GRANT_TYPES } from '../clients/client.ts';
import { epochSeconds } from '../clock.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget } from '../errors.ts';
import { isCodeVerifier, s256 } from '../pkce.ts';
import { hashSecret } from '../secrets.ts';
import type { AuthorizationCode } from '../tokens/code.ts';
import { lifetimesFor, userTokenResponse } from '../tokens/issue.ts';
import { startFamily } from '../tokens/new-family.ts';
import { newFamilyId } from '../tokens/refresh-token.ts';
import type { GrantDependencies, GrantHandler } from './grant.ts';

/** Longest an access token can live (the hard limit): a replayed code's token stays denied that long. */
const MAX_ACCESS_TOKEN_TTL = 86_400;

/**
 * RFC 6749 §4.1.2: a code used twice revokes what its first use issued. The first use's
 * family is revoked and its access token denylisted.
 */
async function replayed(code: AuthorizationCode, deps: GrantDependencies, now: number): Promise<never> {
  deps.logger.warn('authorization_code_replayed', { client_id: code.clientId, family_id: code.familyId });
  if (code.familyId && (await deps.families.revoke(code.familyId, 'code_replay', now))) {
    deps.metrics.count('FamilyRevoked', { Reason: 'code_replay' });
  }
  if (code.accessTokenId) await deps.accessTokens.deny(code.accessTokenId, now + MAX_ACCESS_TOKEN_TTL);
  throw new InvalidGrant('authorization code already used');
}

/** RFC 6749 §4.1.3 with PKCE (RFC 7636): one conditional write redeems the code. */
export const authorizationCodeGrant: GrantHandler = {
  grantType: GRANT_TYPES.authorizationCode,
  async handle({ client, params }, deps) {
    const code = params.get('code');
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier');
    if (!code) throw new InvalidRequest('code is required');
    if (!verifier) throw new InvalidGrant('code_verifier is required (PKCE)');
    if (!isCodeVerifier(verifier)) throw new InvalidGrant('code_verifier is malformed');
    const resource = params.get('resource');
    const now = epochSeconds(deps.clock);
    const familyId = newFamilyId();
    const jti = randomUUID();
    const result = await deps.codes.redeem({
      codeHash: hashSecret(code),
      clientId: client.clientId,
      ...(redirectUri !== undefined && { redirectUri }),
      ...(resource !== undefined && { audience: resource }),
      codeChallenge: s256(verifier),
      now,
      familyId,
      accessTokenId: jti,
    });
    if (result.outcome === 'refused') {
      const stored = result.code;
      if (stored?.redeemedAt !== undefined) return replayed(stored, deps, now);
      if (!stored || stored.expiresAt <= now) throw new InvalidGrant('authorization code is invalid or expired');
      deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
      if (resource !== undefined && stored.clientId === client.clientId && resource !== stored.audience) {
        throw new InvalidTarget('resource differs from the one authorized');
      }
      throw new InvalidGrant('authorization code was not issued to this client, redirect URI or code verifier');
    }
    const granted = result.code;
    // A code from before a bulk revocation (a compromised user, a revoked client) yields nothing.
    if (granted.createdAt <= (await deps.markers.validAfter(granted.subject, client.clientId))) {
      throw new InvalidGrant('authorization code was revoked');
    }
    const lifetimes = await lifetimesFor(deps, client, granted.audience);
    const refreshToken = await startFamily(deps, { client, grant: granted, familyId, lifetimes, now });
    return userTokenResponse(deps, {
      client,
      grant: granted,
      lifetimes,
      jti,
      ...(refreshToken !== undefined && { refreshToken, familyId }),
      ...(granted.nonce !== undefined && { nonce: granted.nonce }),
      grantType: GRANT_TYPES.authorizationCode,
    });
  },
};
