import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  REDIRECT,
  authorizationRequest,
  basic,
  expectErrorPage,
  expectLoginChallenge,
  expectRedirectError,
  expectRevoked,
  expectTokenError,
  expectTokens,
  accept,
  loginTokens,
  newClient,
  newPublicClient,
  refresh,
  revokeRequest,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The two orders of a parameter sent twice with one copy empty (RFC 6749 §3.1). */
const withEmptyCopy = (name: string, value: string): Array<[string, Array<[string, string]>]> => [
  ['empty first', [[name, ''], [name, value]]],
  ['empty last', [[name, value], [name, '']]],
];

/**
 * RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once." An empty
 * copy is still a copy: `a=&a=x` and `a=x&a=` are refused with invalid_request, and nothing the
 * other copy names is touched.
 */
describe('a parameter sent twice, one copy empty', () => {
  let service: TestServer;
  let client: TestClient;
  let spa: TestClient;
  let device: TestClient;

  beforeAll(async () => {
    service = await startTestServer();
    [client, spa, device] = await Promise.all([
      newClient(service),
      newPublicClient(service),
      newPublicClient(service, { grant_types: [DEVICE_GRANT], redirect_uris: undefined, scopes: ['openid'] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A form POST with exactly these pairs (repeats kept), as `who` over Basic when it has a secret. */
  const post = (path: string, pairs: Array<[string, string]>, who?: TestClient) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(who?.client_secret !== undefined && { authorization: basic(who.client_id, who.client_secret) }),
      },
      body: new URLSearchParams(pairs).toString(),
    });

  describe('in a form body', () => {
    it.each(withEmptyCopy('refresh_token', 'TOKEN'))('/token refresh_token, %s: invalid_request, and the token is not used', async (_order, pairs) => {
      const { tokens } = await loginTokens(service, client);
      const body = pairs.map(([name, value]): [string, string] => [name, value === 'TOKEN' ? tokens.refresh_token! : value]);
      await expectTokenError(await post('/token', [['grant_type', 'refresh_token'], ...body], client), 400, 'invalid_request');
      await expectTokens(await refresh(service, client, tokens.refresh_token!));
    });

    it.each(withEmptyCopy('grant_type', 'refresh_token'))('/token grant_type, %s: invalid_request', async (_order, pairs) => {
      const { tokens } = await loginTokens(service, client);
      await expectTokenError(await post('/token', [...pairs, ['refresh_token', tokens.refresh_token!]], client), 400, 'invalid_request');
      await expectTokens(await refresh(service, client, tokens.refresh_token!));
    });

    it.each(withEmptyCopy('client_id', 'SPA'))('/token client_id of a public client, %s: invalid_request', async (_order, pairs) => {
      const body = pairs.map(([name, value]): [string, string] => [name, value === 'SPA' ? spa.client_id : value]);
      await expectTokenError(await post('/token', [['grant_type', 'authorization_code'], ['code', 'x'], ...body]), 400, 'invalid_request');
    });

    it.each(withEmptyCopy('token', 'TOKEN'))('/revoke token, %s: invalid_request, and the family is not revoked', async (_order, pairs) => {
      const { tokens } = await loginTokens(service, client);
      const body = pairs.map(([name, value]): [string, string] => [name, value === 'TOKEN' ? tokens.refresh_token! : value]);
      await expectTokenError(await post('/revoke', body, client), 400, 'invalid_request');
      const next = await expectTokens(await refresh(service, client, tokens.refresh_token!));
      // The same token sent once is revoked, as usual.
      await expectRevoked(await revokeRequest(service, client, next.refresh_token!));
    });

    it.each(withEmptyCopy('token', 'TOKEN'))('/introspect token, %s: invalid_request', async (_order, pairs) => {
      const { tokens } = await loginTokens(service, client);
      const body = pairs.map(([name, value]): [string, string] => [name, value === 'TOKEN' ? tokens.access_token : value]);
      await expectTokenError(await post('/introspect', body, client), 400, 'invalid_request');
    });

    it.each(withEmptyCopy('scope', 'openid'))('/device_authorization scope, %s: invalid_request', async (_order, pairs) => {
      await expectTokenError(await post('/device_authorization', [['client_id', device.client_id], ...pairs]), 400, 'invalid_request');
      const once = await post('/device_authorization', [['client_id', device.client_id], ['scope', 'openid']]);
      expect(once.status).toBe(200);
    });
  });

  describe('in the /authorize query', () => {
    it.each([...withEmptyCopy('client_id', 'CLIENT'), ...withEmptyCopy('redirect_uri', REDIRECT)])(
      'client_id or redirect_uri, %s: a page, never a redirect',
      async (_order, pairs) => {
        const appended = pairs.map(([name, value]): [string, string] => [name, value === 'CLIENT' ? client.client_id : value]);
        const name = appended[0]![0];
        const { url } = await authorizationRequest(service, client, { [name]: undefined }, appended);
        await expectErrorPage(await fetch(url, { redirect: 'manual' }), 'invalid_request');
      },
    );

    it.each([...withEmptyCopy('scope', 'openid'), ...withEmptyCopy('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')])(
      'another parameter (%s): invalid_request at the verified redirect URI',
      async (_order, pairs) => {
        const name = pairs[0]![0];
        const sent = await authorizationRequest(service, client, { [name]: undefined }, pairs);
        const response = await fetch(sent.url, { redirect: 'manual' });
        expectRedirectError(response, REDIRECT, service.url, 'invalid_request', sent.state);
        expect(response.headers.getSetCookie()).toEqual([]);
      },
    );

    it.each(withEmptyCopy('login_verifier', 'VERIFIER'))(
      'login_verifier, %s: a page, and the login is not used up',
      async (_order, pairs) => {
        const request = await authorizationRequest(service, client);
        const browser = new Browser();
        const { challenge } = await expectLoginChallenge(browser, request.url);
        const redirectTo = new URL(await accept(service, challenge));
        const verifier = redirectTo.searchParams.get('login_verifier')!;
        const twice = new URL(`${service.url}/authorize`);
        for (const [name, value] of pairs) twice.searchParams.append(name, value === 'VERIFIER' ? verifier : value);
        await expectErrorPage(await browser.get(twice.toString()), 'invalid_request');
        const completed = await browser.get(redirectTo.toString());
        expect(completed.status).toBe(302);
        expect(new URL(completed.headers.get('location')!).searchParams.get('code')).toBeTruthy();
      },
    );
  });
});
