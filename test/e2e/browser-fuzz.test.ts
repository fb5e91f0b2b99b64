import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Any query to the browser-facing endpoints answers a redirect or a 4xx page: never a 500. */
describe('fuzzing /authorize, /logout and /userinfo', () => {
  let service: TestServer;
  let clientId: string;
  beforeAll(async () => {
    service = await startTestServer();
    clientId = (await newClient(service)).client_id;
  });
  afterAll(async () => {
    await service.server.close();
  });

  const names = fc.constantFrom(
    'client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method',
    'prompt', 'max_age', 'resource', 'login_verifier', 'id_token_hint', 'post_logout_redirect_uri', 'request', 'x',
  );
  const values = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('code', 'S256', 'none', 'login', '0', '-1', 'https://app.example.com/callback', '%00', 'a.b.c', '..'),
    fc.constant(null).map(() => clientId),
  );
  const query = fc.array(fc.tuple(names, values), { maxLength: 10 }).map((pairs) => new URLSearchParams(pairs).toString());

  it.each(['/authorize', '/logout'])('%s never answers 5xx', async (path) => {
    await fc.assert(
      fc.asyncProperty(query, async (search) => {
        const response = await fetch(`${service.url}${path}?${search}`, { redirect: 'manual' });
        await response.arrayBuffer();
        expect([200, 302, 400]).toContain(response.status);
      }),
      { numRuns: 120 },
    );
  });

  it('/userinfo answers any Authorization header with 200, 400, 401 or 403, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }).map((token) => `Bearer ${token}`)), async (header) => {
        let response: Response;
        try {
          response = await fetch(`${service.url}/userinfo`, { headers: { authorization: header } });
        } catch {
          return; // fetch itself refuses header values it cannot send
        }
        await response.arrayBuffer();
        expect([400, 401, 403]).toContain(response.status);
      }),
      { numRuns: 120 },
    );
  });
});
