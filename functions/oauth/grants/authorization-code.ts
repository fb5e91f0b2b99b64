import { LONGEST_ACCESS_TOKEN_TTL } from '../../lifetimes/parameters.ts';
import { GRANT_TYPES } from '../clients/client.ts';
import { epochSeconds } from '../clock.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget } from '../errors.ts';
import { isCodeVerifier, s256 } from '../pkce.ts';
import { grantedResources, requestedResource } from '../scopes.ts';
import { hashSecret } from '../secrets.ts';
import type { Client } from '../clients/client.ts';
import { boundToProof, refuseReplayedProof } from '../dpop/binding.ts';
import type { DpopProof } from '../dpop/proof.ts';
import type { AuthorizationCode } from '../tokens/code.ts';
import { firstTokens } from '../tokens/first-tokens.ts';
import { discardOpaque, issued } from '../tokens/issue.ts';
import type { GrantDependencies, GrantHandler } from './grant.ts';


/**
 * RFC 6749 §4.1.2: a code used twice revokes what its first use issued. The first use's
 * family is revoked and its access token denylisted.
 */
async function replayed(code: AuthorizationCode, deps: GrantDependencies, now: number): Promise<never> {
  deps.logger.warn('authorization_code_replayed', { client_id: code.clientId, family_id: code.familyId });
  if (code.familyId && (await deps.families.revoke(code.familyId, 'code_replay', now))) {
    deps.metrics.count('FamilyRevoked', { Reason: 'code_replay' });
  }
  if (code.familyId) deps.forgetFamily?.(code.familyId);
  if (code.accessTokenId) await deps.accessTokens.deny(code.accessTokenId, now + LONGEST_ACCESS_TOKEN_TTL);
  throw new InvalidGrant('authorization code already used');
}

/** What the token request asks of the code. */
interface Presented {
  readonly client: Client;
  /** S256 of the `code_verifier`; absent when none was sent. */
  readonly codeChallenge: string | undefined;
  readonly redirectUri: string | undefined;
  readonly resource: string | undefined;
  readonly proof: DpopProof | undefined;
  readonly now: number;
}

/**
 * The code as stored, if this request may redeem it. A used code revokes what its first use
 * issued only when presented by that same client with the right verifier: anyone else who got
 * hold of it cannot spend the real client's tokens.
 */
async function redeemable(stored: AuthorizationCode | undefined, request: Presented, deps: GrantDependencies): Promise<AuthorizationCode> {
  const { client, now } = request;
  if (!stored || stored.expiresAt <= now) throw new InvalidGrant('authorization code is invalid or expired');
  const ours = stored.clientId === client.clientId && stored.codeChallenge === request.codeChallenge;
  if (stored.redeemedAt !== undefined) {
    // The very request that redeemed it, sent again (its proof): a replay, not a stolen code.
    if (ours) refuseReplayedProof(stored.proofJti, request.proof);
    // Redeemed with a DPoP proof, what it issued is bound to that key: someone without the key can
    // use none of it, and must not be able to revoke it (log the user out) by replaying the code.
    if (ours && stored.proofJkt !== undefined && request.proof?.jkt !== stored.proofJkt) throw new InvalidGrant('authorization code already used');
    if (ours) return replayed(stored, deps, now);
    throw new InvalidGrant('authorization code is invalid or expired');
  }
  const redirectMatches = request.redirectUri !== undefined ? request.redirectUri === stored.redirectUri : stored.redirectUriOmitted === true;
  // RFC 9449 §10: a code bound with `dpop_jkt` is redeemed only with a proof of that key; refused, it stays unused.
  if (ours && stored.jkt !== undefined && request.proof?.jkt !== stored.jkt) {
    throw new InvalidGrant('the DPoP proof is not of the key the authorization request named (dpop_jkt)');
  }
  const targetMatches = request.resource === undefined || grantedResources(stored).includes(request.resource);
  if (ours && redirectMatches && targetMatches) return stored;
  deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
  if (stored.clientId === client.clientId) {
    // Only the client the code is for learns which PKCE rule it broke.
    if (stored.codeChallenge === undefined && request.codeChallenge !== undefined) {
      throw new InvalidGrant('code_verifier was sent for a code issued without code_challenge');
    }
    if (stored.codeChallenge !== undefined && request.codeChallenge === undefined) throw new InvalidGrant('code_verifier is required (PKCE)');
    if (!targetMatches) throw new InvalidTarget('resource is not one the authorization granted');
  }
  throw new InvalidGrant('authorization code was not issued to this client, redirect URI or code verifier');
}

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636). Read the code, check it, sign the tokens, and only then
 * redeem it — one conditional write, in one transaction with the refresh family it starts — so a
 * failure before the answer is ready leaves the code unused for the client's retry.
 */
export const authorizationCodeGrant: GrantHandler = {
  grantType: GRANT_TYPES.authorizationCode,
  async handle({ client, params, proof }, deps) {
    const code = params.get('code');
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier') || undefined;
    if (!code) throw new InvalidRequest('code is required');
    // Only a client registered with require_pkce: false can hold a code issued without a challenge.
    if (verifier === undefined && client.requirePkce) throw new InvalidGrant('code_verifier is required (PKCE)');
    if (verifier !== undefined && !isCodeVerifier(verifier)) throw new InvalidGrant('code_verifier is malformed');
    const resource = requestedResource(params);
    const now = epochSeconds(deps.clock);
    const codeHash = hashSecret(code);
    const presented: Presented = { client, codeChallenge: verifier !== undefined ? s256(verifier) : undefined, redirectUri, resource, proof, now };
    const granted = boundToProof(await redeemable(await deps.codes.get(codeHash), presented, deps), proof);
    // RFC 8707 §2.2: a resource narrows this access token to one of the granted resources; the
    // refresh family the code starts keeps the whole grant, and its default audience.
    // A code from a login before a bulk revocation (a compromised user, a revoked client) yields nothing.
    const { lifetimes, familyId, jti, family, response } = await firstTokens(deps, {
      client,
      grant: granted,
      audience: resource,
      nonce: granted.nonce,
      jkt: proof?.jkt,
      now,
      revoked: () => new InvalidGrant('authorization code was revoked'),
    });
    const outcome = await deps.codes.redeem(
      {
        codeHash,
        clientId: client.clientId,
        redirectUri,
        resource,
        codeChallenge: presented.codeChallenge,
        now,
        familyId,
        accessTokenId: jti,
        proofJti: proof?.jti,
        proofJkt: proof?.jkt,
      },
      family,
    );
    if (outcome === 'redeemed') return issued(deps, client, response, GRANT_TYPES.authorizationCode);
    // Refused although the read allowed it: another redemption got there first, or the SDK
    // retried this very write after it had committed (then the code names this family).
    const after = await deps.codes.get(codeHash);
    if (after?.familyId === familyId && after.accessTokenId === jti) return issued(deps, client, response, GRANT_TYPES.authorizationCode);
    await discardOpaque(deps, lifetimes.access_token_format.value, response);
    await redeemable(after, presented, deps);
    throw new InvalidGrant('authorization code is invalid or expired');
  },
};
