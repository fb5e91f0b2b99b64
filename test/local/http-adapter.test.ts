import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/local-server.ts';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function raw(url: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('local HTTP adapter', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('answers with the body length in Content-Length, never chunked, keeping the handler\'s own headers', async () => {
    for (const answer of [
      await raw(`${service.url}/.well-known/openid-configuration`),
      await raw(`${service.url}/token`, 'POST', 'grant_type=password', { 'content-type': 'application/x-www-form-urlencoded' }),
      await raw(`${service.url}/login?login_challenge=x`),
      await raw(`${service.url}/no/such/route`),
    ]) {
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
      expect(answer.headers['content-type']).not.toContain(',');
    }
    const discovery = await raw(`${service.url}/.well-known/openid-configuration`);
    expect(discovery.headers['cache-control']).toBeDefined();
    expect((JSON.parse(discovery.body) as { issuer: string }).issuer).toBe(service.url);
    expect((await raw(`${service.url}/no/such/route`)).status).toBe(404);
  });
});
