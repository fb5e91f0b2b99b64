import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import { ROUTES } from '../../functions/routes.ts';
import { registrationBody } from '../support/clients.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

describe('local server: discovery, JWKS and the client registry over HTTP', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])('serves %s', async (path) => {
    const response = await fetch(`${service.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata['issuer']).toBe(service.url);
    expect(metadata['jwks_uri']).toBe(`${service.url}/jwks.json`);
    // Only routes that exist are advertised.
    for (const [name, value] of Object.entries(metadata)) {
      if (!name.endsWith('_endpoint') && name !== 'jwks_uri') continue;
      const path = new URL(String(value)).pathname;
      const route = ROUTES.find((candidate) => candidate.path === path);
      expect(route, `${name} ${String(value)} has a route`).toBeDefined();
      const probe = await fetch(String(value), { method: route!.method, redirect: 'manual' });
      expect(probe.status, `${name} ${String(value)}`).not.toBe(404);
    }
  });

  it('publishes public keys only, and they verify tokens the service signs', async () => {
    const response = await fetch(`${service.url}/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(member);
    // The service signs with its key file; a token it signs verifies against what it publishes.
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(process.env['LIFESPAN_LOCAL_KEY_FILE']!, 'RS256'));
    const token = await signer.signJwt({ iss: service.url, sub: 'alice', aud: 'x', exp: Math.floor(Date.now() / 1000) + 60 }, 'at+jwt');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), { issuer: service.url });
    expect(payload.sub).toBe('alice');
    expect(protectedHeader.kid).toBe(jwks.keys[0]!['kid']);
  });

  it('registers a confidential client, shows the secret once, and reads it back without it', async () => {
    const created = await service.admin('/admin/clients', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const client = (await created.json()) as Record<string, unknown>;
    expect(client['client_secret']).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{43}$/));
    const read = await service.admin(`/admin/clients/${String(client['client_id'])}`);
    expect(read.status).toBe(200);
    const body = await read.text();
    expect(body).not.toContain(String(client['client_secret']));
    const stored = JSON.parse(body) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('client_secret');
    expect(stored).not.toHaveProperty('secret_hash');
    expect(stored).toMatchObject({ client_id: client['client_id'], type: 'confidential', redirect_uris: ['https://app.example.com/callback'] });
  });

  it('registers a public client without a secret', async () => {
    const created = await service.admin('/admin/clients', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody({ type: 'public' })),
    });
    expect(created.status).toBe(201);
    const client = (await created.json()) as Record<string, unknown>;
    expect(client).not.toHaveProperty('client_secret');
    expect(client['token_endpoint_auth_method']).toBe('none');
  });

  it('deletes a client, then answers 404 for it', async () => {
    const created = await service.admin('/admin/clients', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    const { client_id: id } = (await created.json()) as { client_id: string };
    expect((await service.admin(`/admin/clients/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await service.admin(`/admin/clients/${id}`)).status).toBe(404);
    expect((await service.admin(`/admin/clients/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses admin requests without the token, or with a wrong one, with 401', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${service.adminToken}` }];
    for (const headers of attempts) {
      const response = await fetch(`${service.url}/admin/clients/anything`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }
    const post = await fetch(`${service.url}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    expect(post.status).toBe(401);
  });

  it('answers an unknown route with 404, as API Gateway does', async () => {
    expect((await fetch(`${service.url}/nope`)).status).toBe(404);
    expect((await fetch(`${service.url}/jwks.json`, { method: 'POST' })).status).toBe(404);
  });
});
