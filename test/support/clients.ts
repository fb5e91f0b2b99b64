import type { Client } from '../../functions/oauth/clients/client.ts';

/** A valid registration body, to be varied one field at a time. */
export function registrationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'Example web app',
    type: 'confidential',
    redirect_uris: ['https://app.example.com/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'offline_access'],
    audiences: ['orders-api'],
    ...overrides,
  };
}

export function clientRecord(overrides: Partial<Client> = {}): Client {
  return {
    clientId: `client-${Math.random().toString(36).slice(2)}`,
    clientName: 'Example',
    type: 'confidential',
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: ['https://app.example.com/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid'],
    audiences: [],
    requirePkce: true,
    createdAt: Math.floor(Date.now() / 1000),
    ...overrides,
  };
}
