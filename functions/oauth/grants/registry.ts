import type { GrantType } from '../clients/client.ts';
import { authorizationCodeGrant } from './authorization-code.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import { deviceCodeGrant } from './device-code.ts';
import type { GrantHandler } from './grant.ts';
import { refreshTokenGrant } from './refresh-token.ts';

/** Every grant the token endpoint serves; discovery's `grant_types_supported` is its keys. */
export const GRANTS: ReadonlyMap<string, GrantHandler> = new Map(
  [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, deviceCodeGrant].map((grant) => [grant.grantType, grant] as const),
);

export const SUPPORTED_GRANT_TYPES: readonly GrantType[] = [...GRANTS.values()].map((grant) => grant.grantType);
