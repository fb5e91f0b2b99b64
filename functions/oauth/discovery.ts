import { hasRoute, type Route } from '../routes.ts';
import type { SigningAlgorithm } from './signer.ts';
import { DPOP_SIGNING_ALGORITHMS } from './dpop/proof.ts';

export interface DiscoveryInput {
  readonly issuer: string;
  readonly signingAlgorithms: readonly SigningAlgorithm[];
  /** Grant types the token endpoint serves (from the grant registry). */
  readonly grantTypes: readonly string[];
  readonly routeExists?: (method: Route['method'], path: string) => boolean;
}

/**
 * Authorization-server metadata (RFC 8414) and OpenID Provider metadata (OIDC Discovery 1.0).
 * An endpoint or feature is advertised only when its route exists, so a client never
 * discovers something the deployment would answer with 404.
 */
export function serverMetadata(input: DiscoveryInput): Record<string, unknown> {
  const exists = input.routeExists ?? hasRoute;
  const endpoint = (method: Route['method'], path: string) => (exists(method, path) ? `${input.issuer}${path}` : undefined);
  const authorization = endpoint('GET', '/authorize');
  const token = endpoint('POST', '/token');
  const metadata: Record<string, unknown> = {
    issuer: input.issuer,
    jwks_uri: endpoint('GET', '/jwks.json'),
    authorization_endpoint: authorization,
    token_endpoint: token,
    userinfo_endpoint: endpoint('GET', '/userinfo'),
    revocation_endpoint: endpoint('POST', '/revoke'),
    introspection_endpoint: endpoint('POST', '/introspect'),
    device_authorization_endpoint: endpoint('POST', '/device_authorization'),
    end_session_endpoint: endpoint('GET', '/logout'),
    subject_types_supported: ['public'],
    // The standard scopes; each client's API scopes are its own registration's.
    scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
  };
  if (authorization) {
    metadata['response_types_supported'] = ['code'];
    metadata['response_modes_supported'] = ['query'];
    metadata['code_challenge_methods_supported'] = ['S256'];
    metadata['prompt_values_supported'] = ['none', 'login', 'consent', 'select_account'];
    // RFC 9207: every authorization response carries `iss`.
    metadata['authorization_response_iss_parameter_supported'] = true;
    metadata['request_parameter_supported'] = false;
    metadata['request_uri_parameter_supported'] = false;
  }
  const clientAuthentication = ['client_secret_basic', 'client_secret_post', 'none'];
  if (metadata['revocation_endpoint']) metadata['revocation_endpoint_auth_methods_supported'] = clientAuthentication;
  if (metadata['introspection_endpoint']) {
    metadata['introspection_endpoint_auth_methods_supported'] = ['client_secret_basic', 'client_secret_post'];
  }
  if (metadata['userinfo_endpoint']) {
    metadata['claims_supported'] = [
      'sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
      'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at', 'email', 'email_verified', 'address',
      'phone_number', 'phone_number_verified', 'auth_time', 'acr', 'amr', 'sid',
    ];
    // OIDC Core §5.5: claims asked for by name, for userinfo or the ID token (claims.ts).
    metadata['claims_parameter_supported'] = true;
  }
  if (token) {
    metadata['grant_types_supported'] = input.grantTypes;
    metadata['token_endpoint_auth_methods_supported'] = clientAuthentication;
    metadata['id_token_signing_alg_values_supported'] = input.signingAlgorithms;
    // RFC 9449 §5.1: proofs are accepted at the token endpoint (and at userinfo) with these.
    metadata['dpop_signing_alg_values_supported'] = DPOP_SIGNING_ALGORITHMS;
  }
  for (const [name, value] of Object.entries(metadata)) if (value === undefined) delete metadata[name];
  return metadata;
}
