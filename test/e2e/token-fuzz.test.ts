import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REDIRECT,
  basic,
  codeFor,
  exchangeCode,
  expectTokens,
  newClient,
  newPublicClient,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'password',
  'implicit',
  '',
];
const FIELDS = ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', 'client_id', 'client_secret', 'device_code'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=UTF-8',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  undefined,
];
const ALLOWED = [200, 400, 401, 413, 415];

/** Light fuzzing of `POST /token`: whatever arrives, a known status and an RFC 6749 §5.2 body, never a 500. */
describe('/token under random input', () => {
  let service: TestServer;
  let web: TestClient;
  let spa: TestClient;
  let refreshToken: string;
  let code: string;

  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
    spa = await newPublicClient(service);
    const issued = await codeFor(service, web);
    refreshToken = (await expectTokens(await exchangeCode(service, web, issued.code, issued.request.verifier))).refresh_token!;
    code = (await codeFor(service, web)).code;
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('answers random form bodies, content types and credentials with 200/400/401/413/415 and a JSON error, never 500', async () => {
    const known = () =>
      fc.constantFrom(
        web.client_id,
        spa.client_id,
        web.client_secret!,
        REDIRECT,
        refreshToken,
        code,
        'openid offline_access',
        'orders-api',
        'a'.repeat(43),
      );
    const value = fc.oneof(
      fc.constantFrom(...GRANT_TYPES),
      known(),
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.stringMatching(/^lsr_[A-Za-z0-9_-]{75}$/),
    );
    const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
    const form = fc
      .tuple(fc.option(fc.constantFrom(...GRANT_TYPES), { nil: undefined }), fc.array(fc.tuple(key, value), { maxLength: 8 }))
      .map(([grantType, pairs]) => {
        const params = new URLSearchParams();
        if (grantType !== undefined) params.append('grant_type', grantType);
        for (const [name, entry] of pairs) params.append(name, entry);
        return params.toString();
      });
    const body = fc.oneof(
      { weight: 6, arbitrary: form },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant(`grant_type=client_credentials&scope=${'x'.repeat(70 * 1024)}`) },
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constant(basic(web.client_id, web.client_secret!)),
      fc.constant(basic(web.client_id, 'wrong')),
      fc.constant(basic(spa.client_id, '')),
      fc.string({ maxLength: 40 }).map((text) => `Basic ${Buffer.from(text).toString('base64')}`),
      fc.stringMatching(/^[ -~]{0,40}$/),
    );

    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(...CONTENT_TYPES), authorization, async (payload, contentType, auth) => {
        const headers: Record<string, string> = {};
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (auth !== undefined) headers['authorization'] = auth;
        // A byte body, so fetch adds no content type of its own.
        const response = await fetch(`${service.url}/token`, { method: 'POST', headers, body: Buffer.from(payload) });
        const text = await response.text();
        expect(ALLOWED, `${response.status} ${text}`).toContain(response.status);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (response.status === 200) {
          expect(typeof parsed['access_token']).toBe('string');
        } else {
          expect(typeof parsed['error']).toBe('string');
          expect(Object.keys(parsed).sort()).toEqual(['error', 'error_description']);
          if (response.status === 401) expect(response.headers.get('www-authenticate')).toBeTruthy();
        }
      }),
      { numRuns: 80 },
    );
  });

  it('answers a refresh with random scope lists, with the real or a forged token, never with a 500', async () => {
    const scopeToken = fc.stringMatching(/^[\x21\x23-\x5B\x5D-\x7E]{1,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom('openid', 'offline_access', 'orders:read', 'profile'), scopeToken), { maxLength: 20 }),
        fc.oneof(fc.constant(refreshToken), fc.stringMatching(/^lsr_[A-Za-z0-9_-]{75}$/)),
        async (scopes, token) => {
          const response = await fetch(`${service.url}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(web.client_id, web.client_secret!) },
            body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, scope: scopes.join(' ') }).toString(),
          });
          const text = await response.text();
          expect([200, 400], `${response.status} ${text}`).toContain(response.status);
          if (response.status === 400) expect(['invalid_grant', 'invalid_scope']).toContain((JSON.parse(text) as { error: string }).error);
        },
      ),
      { numRuns: 60 },
    );
  });
});
