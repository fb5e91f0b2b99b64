import { describe, expect, it } from 'vitest';
import { serverMetadata } from '../../functions/oauth/discovery.ts';

describe('serverMetadata', () => {
  const input = { issuer: 'https://auth.example.com', signingAlgorithms: ['RS256'] as const, grantTypes: ['authorization_code'] };

  it('advertises only the endpoints whose routes exist, with what goes with them', () => {
    const bare = serverMetadata({ ...input, routeExists: (_method, path) => path === '/jwks.json' });
    expect(bare).toEqual({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/jwks.json',
      subject_types_supported: ['public'],
      scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
    });
  });

  it('with every route: the endpoints, PKCE S256 only, iss in responses, no request objects', () => {
    const full = serverMetadata({ ...input, routeExists: () => true });
    expect(full).toMatchObject({
      authorization_endpoint: 'https://auth.example.com/authorize',
      token_endpoint: 'https://auth.example.com/token',
      revocation_endpoint: 'https://auth.example.com/revoke',
      introspection_endpoint: 'https://auth.example.com/introspect',
      userinfo_endpoint: 'https://auth.example.com/userinfo',
      end_session_endpoint: 'https://auth.example.com/logout',
      device_authorization_endpoint: 'https://auth.example.com/device_authorization',
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      id_token_signing_alg_values_supported: ['RS256'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect(full['token_endpoint_auth_methods_supported']).not.toContain('private_key_jwt');
  });
});
