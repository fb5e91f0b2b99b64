import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Fixtures } from './servers.ts';

const RESOURCE = 'urn:example:orders-api';

/**
 * node-oidc-provider as its documentation sets it up for JWT access tokens: the in-memory
 * adapter (its default), an RS256 key, resource indicators with one resource server whose
 * access tokens are RS256 JWTs, client credentials on, and refresh tokens rotated on every use.
 * Its refresh tokens are made through its own models (a grant, then a RefreshToken, as its code
 * exchange makes them) with `offline_access orders:read` and no `openid`, so a refresh signs
 * one JWT, the access token, as Lifespan's does (with `openid` it would sign an ID token too).
 */
export async function startPeer(families: number): Promise<Fixtures> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const secret = randomBytes(32).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(url, {
    jwks: { keys: [{ ...key, alg: 'RS256', use: 'sig', kid: 'bench' }] },
    clients: [
      {
        client_id: 'bench-app',
        client_secret: secret,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirect_uris: ['https://app.example.com/callback'],
        scope: 'openid offline_access orders:read',
      },
    ],
    scopes: ['openid', 'offline_access', 'orders:read'],
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'orders:read', accessTokenFormat: 'jwt', accessTokenTTL: 900, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  server.on('request', provider.callback());

  const client = await provider.Client.find('bench-app');
  if (!client) throw new Error('the peer has no bench client');
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let index = 0; index < families; index += 1) {
    const grant = new provider.Grant({ accountId: 'bench-user', clientId: client.clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(RESOURCE, 'orders:read');
    const grantId = await grant.save();
    const refreshToken = new provider.RefreshToken({
      accountId: 'bench-user',
      authTime: now,
      client,
      grantId,
      gty: 'authorization_code',
      iiat: now,
      resource: RESOURCE,
      rotations: 0,
      scope: 'offline_access orders:read',
    });
    tokens.push(await refreshToken.save());
  }
  return {
    url,
    app: { client_id: client.clientId, client_secret: secret },
    api: { client_id: client.clientId, client_secret: secret },
    refreshTokens: tokens,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
