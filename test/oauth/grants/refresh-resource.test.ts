import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { decodeRefreshToken } from '../../../functions/oauth/tokens/refresh-token.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusedWith } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const aud = (token: { access_token: string }) => decodeJwt(token.access_token).aud;

/** RFC 8707 §2.2 at the token endpoint: `resource` narrows one access token within the grant. */
describe('resource on refresh and code exchange', () => {
  let f: Fixture;
  let client: Client;
  const target = { audience: 'api', resources: ['api', 'billing'] };
  const scope = ['openid', 'offline_access', 'read'];

  beforeEach(async () => {
    f = await grantFixture();
    // `ledger` is the client's, but not part of the grant.
    client = clientRecord({ scopes: ['openid', 'offline_access', 'read'], audiences: ['api', 'billing', 'ledger'] });
    await f.clients.create(client);
  });

  const family = (token: string) => f.deps.families.get(decodeRefreshToken(token)!.familyId);
  const issue = (extra: Record<string, string> = {}) => f.issue(scope, { target, asClient: client, extra });
  const refresh = (token: string, extra: Record<string, string> = {}) => f.refresh(token, extra, client);

  it('narrows the access token to the resource asked for; the family keeps its whole grant and default audience', async () => {
    const issued = await issue();
    expect(aud(issued)).toBe('api');
    const narrowed = await refresh(issued.refresh_token!, { resource: 'billing' });
    expect(aud(narrowed)).toBe('billing');
    expect(await family(narrowed.refresh_token!)).toMatchObject({ audience: 'api', resources: ['api', 'billing'], generation: 1 });
    // No resource: the family's default audience again, not the last one asked for.
    expect(aud(await refresh(narrowed.refresh_token!))).toBe('api');
  });

  it('the narrowed token lives as long as its audience’s lifetime says', async () => {
    f.parameters.set('access_token_ttl', '900');
    f.parameters.set('audiences/billing/access_token_ttl', '120');
    const issued = await issue();
    expect(issued.expires_in).toBe(900);
    const narrowed = await refresh(issued.refresh_token!, { resource: 'billing' });
    expect(narrowed.expires_in).toBe(120);
    expect((await refresh(narrowed.refresh_token!)).expires_in).toBe(900);
  });

  it.each([
    ['a resource of the client the family was not granted', 'ledger'],
    ['a resource the client does not have', 'https://other.example.com/'],
    ['the issuer', 'https://auth.example.com'],
  ])('%s is invalid_target, and the same refresh token still refreshes', async (_why, resource) => {
    const issued = await issue();
    expect(await refusedWith(refresh(issued.refresh_token!, { resource }))).toBe('invalid_target');
    expect(await family(issued.refresh_token!)).toMatchObject({ generation: 0, revoked: false });
    expect(aud(await refresh(issued.refresh_token!))).toBe('api');
  });

  it.each([
    ['a relative reference', '/billing'],
    ['a URI with a fragment', 'https://api.example.com/#billing'],
    ['an empty fragment', 'https://api.example.com/#'],
    ['whitespace', 'bill ing'],
    ['an over-long URI', `https://api.example.com/${'a'.repeat(300)}`],
  ])('a malformed resource (%s) is invalid_target and changes nothing', async (_why, resource) => {
    const issued = await issue();
    expect(await refusedWith(refresh(issued.refresh_token!, { resource }))).toBe('invalid_target');
    expect(await family(issued.refresh_token!)).toMatchObject({ generation: 0, revoked: false });
    await refresh(issued.refresh_token!);
  });

  it('a family granted one audience may name it, and nothing else', async () => {
    const issued = await f.issue(scope, { target: { audience: 'api' }, asClient: client });
    const named = await refresh(issued.refresh_token!, { resource: 'api' });
    expect(aud(named)).toBe('api');
    expect(await refusedWith(refresh(named.refresh_token!, { resource: 'billing' }))).toBe('invalid_target');
    expect(await family(named.refresh_token!)).toMatchObject({ generation: 1, revoked: false });
  });

  describe('within refresh_token_reuse_interval', () => {
    beforeEach(() => {
      f.parameters.set('refresh_token_reuse_interval', '30');
    });

    it('a retry may narrow within the grant, never past it, and a refused retry is not reuse', async () => {
      const issued = await issue();
      const first = await refresh(issued.refresh_token!, { resource: 'billing' });
      f.clock.advance(5);
      expect(await refusedWith(refresh(issued.refresh_token!, { resource: 'ledger' }))).toBe('invalid_target');
      const retry = await refresh(issued.refresh_token!, { resource: 'billing' });
      expect(retry.refresh_token).toBe(first.refresh_token);
      expect(aud(retry)).toBe('billing');
      // A retry without resource gets the default audience, as the first refresh would have.
      expect(aud(await refresh(issued.refresh_token!))).toBe('api');
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: false, generation: 1 });
      expect((await refresh(first.refresh_token!)).refresh_token).toBeDefined();
    });
  });

  describe('at the code exchange', () => {
    it('a granted resource narrows the first access token; the family still defaults to the first resource', async () => {
      const issued = await issue({ resource: 'billing' });
      expect(aud(issued)).toBe('billing');
      expect(await family(issued.refresh_token!)).toMatchObject({ audience: 'api', resources: ['api', 'billing'] });
      expect(aud(await refresh(issued.refresh_token!))).toBe('api');
    });

    it('a resource outside the grant is invalid_target', async () => {
      expect(await refusedWith(issue({ resource: 'ledger' }))).toBe('invalid_target');
      expect(await refusedWith(issue({ resource: 'https://api.example.com/#x' }))).toBe('invalid_target');
    });
  });
});
