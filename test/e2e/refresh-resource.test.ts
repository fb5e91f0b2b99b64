import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  authorizationRequest,
  basic,
  exchangeCode,
  expectActive,
  expectRedirectError,
  expectTokenError,
  expectTokens,
  logInThrough,
  newClient,
  refresh,
  uniqueSubject,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const ORDERS = 'orders-api';
const BILLING = 'https://billing.example.com/';
/** The client's too, but never part of the grants below. */
const LEDGER = 'ledger-api';

/**
 * RFC 8707: an authorization request may name several resources (`resource` repeated); each
 * access token is for one of them. A refresh (§2.2) may narrow to any resource of the grant,
 * with that audience's lifetime, and never widen: the family keeps its whole grant.
 */
describe('resource indicators on refresh (RFC 8707 §2.2)', () => {
  let service: TestServer;
  let web: TestClient;
  let api: TestClient;

  beforeAll(async () => {
    service = await startTestServer({
      parameters: { access_token_ttl: 900, 'audiences/orders-api/access_token_ttl': 600, introspection_cache_ttl: 0 },
    });
    [web, api] = await Promise.all([
      newClient(service, { audiences: [ORDERS, BILLING, LEDGER] }),
      // A resource server that serves billing: it may introspect tokens for that audience.
      newClient(service, { grant_types: ['client_credentials'], redirect_uris: undefined, scopes: ['read'], audiences: [BILLING] }),
    ]);
  });
  afterAll(async () => {
    await service.server.close();
  });

  /** A login granting `resources` (in that order) and its code exchange, with `extra` in the token request. */
  const grant = async (resources: string[] = [ORDERS, BILLING], extra: Record<string, string | undefined> = {}) => {
    const request = await authorizationRequest(service, web, {}, resources.map((resource): [string, string] => ['resource', resource]));
    const { code } = await logInThrough(service, new Browser(), request, { subject: uniqueSubject('rs') });
    return { code, request, tokens: await expectTokens(await exchangeCode(service, web, code, request.verifier, extra)) };
  };
  const aud = (tokens: { access_token: string }) => decodeJwt(tokens.access_token).aud;

  it('a grant of two resources: the code exchange issues for the first; a refresh with the other narrows to it, then back', async () => {
    const { tokens } = await grant();
    expect(aud(tokens)).toBe(ORDERS);
    expect(tokens.expires_in).toBe(600);
    const narrowed = await expectTokens(await refresh(service, web, tokens.refresh_token!, { resource: BILLING }));
    expect(aud(narrowed)).toBe(BILLING);
    // Billing has no lifetime of its own: the global one, not orders-api's.
    expect(narrowed.expires_in).toBe(900);
    expect(narrowed.scope).toBe(tokens.scope);
    // The billing API sees the token as its own (introspection: a client sees tokens for its audiences).
    expect(await expectActive(service, api, narrowed.access_token)).toMatchObject({ aud: BILLING });
    // Without resource, the family's default audience again (the first resource of the grant).
    const again = await expectTokens(await refresh(service, web, narrowed.refresh_token!));
    expect(aud(again)).toBe(ORDERS);
    expect(again.expires_in).toBe(600);
  });

  it('the narrowed token’s lifetime follows its audience’s', async () => {
    const { tokens } = await grant([BILLING, ORDERS]);
    expect(aud(tokens)).toBe(BILLING);
    expect(tokens.expires_in).toBe(900);
    const narrowed = await expectTokens(await refresh(service, web, tokens.refresh_token!, { resource: ORDERS }));
    expect(aud(narrowed)).toBe(ORDERS);
    expect(narrowed.expires_in).toBe(600);
    expect(decodeJwt(narrowed.access_token).exp! - decodeJwt(narrowed.access_token).iat!).toBe(600);
  });

  it.each([
    ['a resource of the client outside the grant', LEDGER],
    ['a resource the client does not have', 'https://other.example.com/'],
    ['a resource with a fragment', `${BILLING}#x`],
    ['a relative resource', '/orders'],
  ])('%s is invalid_target, and the same refresh token still refreshes', async (_why, resource) => {
    const { tokens } = await grant();
    await expectTokenError(await refresh(service, web, tokens.refresh_token!, { resource }), 400, 'invalid_target');
    const after = await expectTokens(await refresh(service, web, tokens.refresh_token!));
    expect(aud(after)).toBe(ORDERS);
  });

  it('several resources in one refresh are invalid_target (one audience per token), and the token still refreshes', async () => {
    const { tokens } = await grant();
    const body = new URLSearchParams([
      ['grant_type', 'refresh_token'],
      ['refresh_token', tokens.refresh_token!],
      ['resource', ORDERS],
      ['resource', BILLING],
    ]);
    const response = await fetch(`${service.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(web.client_id, web.client_secret!) },
      body: body.toString(),
    });
    await expectTokenError(response, 400, 'invalid_target');
    await expectTokens(await refresh(service, web, tokens.refresh_token!));
  });

  it('a grant of one resource may be refreshed naming it, never another', async () => {
    const { tokens } = await grant([ORDERS]);
    const named = await expectTokens(await refresh(service, web, tokens.refresh_token!, { resource: ORDERS }));
    expect(aud(named)).toBe(ORDERS);
    await expectTokenError(await refresh(service, web, named.refresh_token!, { resource: BILLING }), 400, 'invalid_target');
    await expectTokens(await refresh(service, web, named.refresh_token!));
  });

  it('the code exchange may name any granted resource; one outside the grant is invalid_target and leaves the code usable', async () => {
    const request = await authorizationRequest(service, web, {}, [['resource', ORDERS], ['resource', BILLING]]);
    const { code } = await logInThrough(service, new Browser(), request, { subject: uniqueSubject('rs') });
    await expectTokenError(await exchangeCode(service, web, code, request.verifier, { resource: LEDGER }), 400, 'invalid_target');
    const tokens = await expectTokens(await exchangeCode(service, web, code, request.verifier, { resource: BILLING }));
    expect(aud(tokens)).toBe(BILLING);
    // The family keeps the grant's default audience.
    expect(aud(await expectTokens(await refresh(service, web, tokens.refresh_token!)))).toBe(ORDERS);
  });

  it('/authorize refuses a resource list with one the client lacks, at the redirect URI', async () => {
    const request = await authorizationRequest(service, web, {}, [['resource', ORDERS], ['resource', 'https://evil.example.com/']]);
    expectRedirectError(await fetch(request.url, { redirect: 'manual' }), request.redirectUri, service.url, 'invalid_target', request.state);
  });
});
