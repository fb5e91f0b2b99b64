import { GRANT_TYPES } from '../clients/client.ts';
import { UnauthorizedClient } from '../errors.ts';
import { grantedAudience, grantedScope } from '../scopes.ts';
import { issueAccessToken, lifetimesFor } from '../tokens/issue.ts';
import type { GrantHandler } from './grant.ts';

/** Scopes that only mean something for a user. */
const USER_SCOPES = ['openid', 'offline_access'];

/** RFC 6749 §4.4: a confidential client acting on its own behalf. No refresh or ID token. */
export const clientCredentialsGrant: GrantHandler = {
  grantType: GRANT_TYPES.clientCredentials,
  async handle({ client, params }, deps) {
    if (client.type !== 'confidential') throw new UnauthorizedClient('client_credentials needs a confidential client');
    const scope = grantedScope(client, params.get('scope'), USER_SCOPES);
    const audience = grantedAudience(client, params.get('resource'), deps.issuer);
    const lifetimes = await lifetimesFor(deps, client, audience);
    const access = await issueAccessToken(deps, {
      client,
      grant: { subject: client.clientId, scope, audience },
      ttl: lifetimes.client_credentials_token_ttl.value,
      format: lifetimes.access_token_format.value,
    });
    deps.metrics.count('TokensIssued', { Grant: GRANT_TYPES.clientCredentials, ClientId: client.clientId });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresAt - access.issuedAt,
      scope: scope.join(' '),
    };
  },
};
