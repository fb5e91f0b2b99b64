import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import {
  accept,
  acceptRaw,
  authorizationRequest,
  clientForm,
  exchangeCode,
  expectLoginChallenge,
  expectTokens,
  loginTokens,
  newClient,
  refresh,
  uniqueSubject,
  userinfoRequest,
  writeParameters,
  type TestClient,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** What the login app says of the user: standard claims of every scope, and one of the deployer's own. */
const CLAIMS = {
  name: 'Ada Lovelace',
  given_name: 'Ada',
  email: 'ada@example.com',
  email_verified: true,
  address: { country: 'GB' },
  phone_number: '+44 20 7946 0000',
  tenant: 'acme',
};
const SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'orders:read'];

/** Issue #12 point 4: the ID token and userinfo release claims by scope (OIDC Core §5.4) and by the claims request (§5.5). */
describe('claims by scope', () => {
  let service: TestServer;
  let web: TestClient;
  let opaque: TestClient;
  beforeAll(async () => {
    service = await startTestServer();
    [web, opaque] = await Promise.all([newClient(service, { scopes: SCOPES }), newClient(service, { scopes: SCOPES })]);
    await writeParameters(service, { clients: { [opaque.client_id]: { access_token_format: 'opaque' } } });
  });
  afterAll(async () => {
    await service.server.close();
  });

  async function login(params: Record<string, string | undefined>, client = web) {
    const { tokens } = await loginTokens(service, client, { params, accept: { subject: uniqueSubject(), claims: CLAIMS } });
    const id = decodeJwt(tokens.id_token!);
    return { tokens, id, userinfo: await userinfo(tokens.access_token) };
  }
  async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
    const response = await userinfoRequest(service, accessToken);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }
  const standard = (claims: Record<string, unknown>) =>
    Object.keys(claims).filter((name) => Object.keys(CLAIMS).includes(name) && name !== 'tenant').sort();

  it('scope openid only: neither the ID token nor userinfo has a name, email, address or phone, though the login app gave them', async () => {
    const { id, userinfo: info } = await login({ scope: 'openid' });
    expect(standard(id)).toEqual([]);
    expect(info).toEqual({ sub: id.sub });
  });

  it('scope openid email: email and email_verified only, in both', async () => {
    const { id, userinfo: info } = await login({ scope: 'openid email' });
    expect(standard(id)).toEqual(['email', 'email_verified']);
    expect(info).toEqual({ sub: id.sub, email: CLAIMS.email, email_verified: true });
  });

  it('each scope releases its own claims: profile, address, phone', async () => {
    const { id, userinfo: info } = await login({ scope: 'openid profile address phone' });
    expect(standard(id)).toEqual(['address', 'given_name', 'name', 'phone_number']);
    expect(info).toEqual({ sub: id.sub, name: CLAIMS.name, given_name: CLAIMS.given_name, address: CLAIMS.address, phone_number: CLAIMS.phone_number });
  });

  it('a claim of the deployer’s own (not OIDC standard) goes into the ID token as the login app gave it, never to userinfo unless asked for', async () => {
    const { id, userinfo: info } = await login({ scope: 'openid' });
    expect(id['tenant']).toBe('acme');
    expect(info['tenant']).toBeUndefined();
  });

  describe('the claims request parameter (OIDC Core §5.5)', () => {
    it('name asked of userinfo with scope openid: in userinfo, not in the ID token', async () => {
      const { id, userinfo: info } = await login({ scope: 'openid', claims: JSON.stringify({ userinfo: { name: null } }) });
      expect(info).toEqual({ sub: id.sub, name: CLAIMS.name });
      expect(id['name']).toBeUndefined();
    });

    it('email asked of the ID token (essential) with scope openid: in the ID token, not in userinfo', async () => {
      const { id, userinfo: info } = await login({ scope: 'openid', claims: JSON.stringify({ id_token: { email: { essential: true } } }) });
      expect(standard(id)).toEqual(['email']);
      expect(info).toEqual({ sub: id.sub });
    });

    it('a claim of the deployer’s own asked of userinfo is released there; a claim the login app did not give is simply absent', async () => {
      const { id, userinfo: info } = await login({ scope: 'openid', claims: JSON.stringify({ userinfo: { tenant: null, nickname: null } }) });
      expect(info).toEqual({ sub: id.sub, tenant: 'acme' });
    });

    it('protocol claims cannot be smuggled in through it: asking userinfo for iss or auth_time gives nothing more', async () => {
      const { id, userinfo: info } = await login({ scope: 'openid', claims: JSON.stringify({ userinfo: { iss: null, auth_time: null, sub: null } }) });
      expect(info).toEqual({ sub: id.sub });
    });

    it('an opaque access token carries the request too', async () => {
      const { id, userinfo: info } = await login({ scope: 'openid', claims: JSON.stringify({ userinfo: { email: null } }) }, opaque);
      expect(info).toEqual({ sub: id.sub, email: CLAIMS.email });
    });

    it('the same request answered from the SSO session releases the same claims', async () => {
      const subject = uniqueSubject();
      const { browser } = await loginTokens(service, web, { accept: { subject, claims: CLAIMS } });
      const request = await authorizationRequest(service, web, { scope: 'openid', claims: JSON.stringify({ userinfo: { name: null } }) });
      const response = await browser.get(request.url);
      const code = new URL(response.headers.get('location')!).searchParams.get('code')!;
      const tokens = await expectTokens(await exchangeCode(service, web, code, request.verifier));
      expect(await userinfo(tokens.access_token)).toEqual({ sub: subject, name: CLAIMS.name });
    });
  });

  describe('through refresh', () => {
    it('the family keeps its granted scopes and claims request: a refreshed access token releases the same', async () => {
      const { tokens, id } = await login({ scope: 'openid email offline_access', claims: JSON.stringify({ userinfo: { name: null } }) });
      const refreshed = await expectTokens(await refresh(service, web, tokens.refresh_token!));
      expect(await userinfo(refreshed.access_token)).toEqual({ sub: id.sub, email: CLAIMS.email, email_verified: true, name: CLAIMS.name });
    });

    it('a refresh that narrows the scope narrows userinfo: it follows the access token’s scopes', async () => {
      const { tokens, id } = await login({ scope: 'openid email offline_access' });
      const narrowed = await expectTokens(await refresh(service, web, tokens.refresh_token!, { scope: 'openid offline_access' }));
      expect(await userinfo(narrowed.access_token)).toEqual({ sub: id.sub });
    });
  });

  describe('sub is ASCII, 1–255 characters (OIDC Core §2)', () => {
    it.each([
      ['non-ASCII', 'zoë'],
      ['an emoji', 'user-😀'],
      ['a space', 'ada lovelace'],
      ['DEL', 'ada\u007f'],
      ['256 characters', 'a'.repeat(256)],
    ])('a subject with %s: 400 invalid_request at login accept, nothing accepted', async (_why, subject) => {
      const browser = new Browser();
      const request = await authorizationRequest(service, web);
      const { challenge } = await expectLoginChallenge(browser, request.url);
      const response = await acceptRaw(service, challenge, { subject });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Record<string, unknown>)['error']).toBe('invalid_request');
      // Still pending: the login app can accept it properly.
      expect((await service.admin(`/admin/login-requests/${challenge}`)).status).toBe(200);
      const completion = await browser.get(await accept(service, challenge, { subject: 'ada' }));
      expect(new URL(completion.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    });

    it('255 printable ASCII characters are a subject', async () => {
      const subject = `!~"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}${'a'.repeat(223)}`;
      expect(subject).toHaveLength(255);
      const { tokens } = await loginTokens(service, web, { accept: { subject } });
      expect(decodeJwt(tokens.id_token!).sub).toBe(subject);
    });

    it.each([['non-ASCII', 'zoë'], ['256 characters', 'b'.repeat(256)]])('a subject with %s: 400 invalid_request at device accept, the request still pending', async (_why, subject) => {
      const device = await newClient(service, { client_name: 'tv', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], redirect_uris: [] });
      const started = await clientForm(service, '/device_authorization', { scope: 'openid' }, device);
      const { user_code: userCode } = (await started.json()) as { user_code: string };
      const put = (body: unknown) => service.admin(`/admin/device-requests/${userCode}/accept`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const refused = await put({ subject });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Record<string, unknown>)['error']).toBe('invalid_request');
      expect((await put({ subject: 'ada' })).status).toBe(200);
    });

    it('the development login page shows an error page for such a subject, not a 500, and the login can be retried', async () => {
      const browser = new Browser();
      const request = await authorizationRequest(service, web);
      const { challenge } = await expectLoginChallenge(browser, request.url);
      const submitted = await browser.post(`${service.url}/login`, { login_challenge: challenge, subject: 'zoë', action: 'accept' });
      expect(submitted.status).toBe(400);
      expect(submitted.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await submitted.text()).toContain('printable ASCII');
      expect((await service.admin(`/admin/login-requests/${challenge}`)).status).toBe(200);
    });
  });

  it('discovery: claims_supported lists the standard claims, and claims_parameter_supported is true', async () => {
    const metadata = (await (await fetch(`${service.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata['claims_parameter_supported']).toBe(true);
    expect(metadata['claims_supported']).toEqual(expect.arrayContaining(['sub', ...Object.keys(CLAIMS).filter((name) => name !== 'tenant'), 'email_verified']));
    expect(metadata['claims_supported']).not.toContain('tenant');
  });
});
