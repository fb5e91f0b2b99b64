import { GRANT_TYPES } from '../clients/client.ts';
import { UnauthorizedClient } from '../errors.ts';
import { grantedAudience, grantedScope } from '../scopes.ts';
import { epochSeconds } from '../clock.ts';
import { InvalidDpopProof } from '../errors.ts';
import { issueAccessToken, lifetimesFor, tokenType } from '../tokens/issue.ts';
import type { GrantHandler } from './grant.ts';

/** Scopes that only mean something for a user. */
const USER_SCOPES = ['openid', 'offline_access'];

/** RFC 6749 §4.4: a confidential client acting on its own behalf. No refresh or ID token. */
export const clientCredentialsGrant: GrantHandler = {
  grantType: GRANT_TYPES.clientCredentials,
  async handle({ client, params, proof }, deps) {
    if (client.type !== 'confidential') throw new UnauthorizedClient('client_credentials needs a confidential client');
    const scope = grantedScope(client, params.get('scope'), USER_SCOPES);
    const audience = grantedAudience(client, params.get('resource'), deps.issuer);
    const lifetimes = await lifetimesFor(deps, client, audience);
    // Nothing single-use is consumed here, so the proof itself is recorded (one conditional put).
    if (proof !== undefined && !(await deps.proofReplays.firstUse(proof.jkt, proof.jti, proof.replayableUntil, epochSeconds(deps.clock)))) {
      throw new InvalidDpopProof('the DPoP proof was already used');
    }
    const access = await issueAccessToken(deps, {
      client,
      grant: { subject: client.clientId, scope, audience },
      ttl: lifetimes.client_credentials_token_ttl.value,
      format: lifetimes.access_token_format.value,
      jkt: proof?.jkt,
    });
    deps.metrics.count('TokensIssued', { Grant: GRANT_TYPES.clientCredentials, ClientId: client.clientId });
    return {
      access_token: access.token,
      token_type: tokenType(proof?.jkt),
      expires_in: access.expiresAt - access.issuedAt,
      scope: scope.join(' '),
    };
  },
};
