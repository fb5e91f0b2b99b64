import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoDbRevocationMarkers } from '../../../functions/adapters/dynamodb/revocation-markers.ts';
import { revokeAll, userEvent, type BulkRevocationDependencies } from '../../../functions/oauth/bulk-revocation.ts';
import { authorizationCodeGrant } from '../../../functions/oauth/grants/authorization-code.ts';
import { introspect, IntrospectionCache } from '../../../functions/oauth/introspection.ts';
import { s256 } from '../../../functions/oauth/pkce.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import type { TokenResponse } from '../../../functions/oauth/tokens/issue.ts';
import { localDynamoClient } from '../../support/dynamodb.ts';
import { countCalls, grantFixture } from '../../support/grant-fixture.ts';
import { refusedWith } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);
const writes = (calls: readonly string[]) => calls.filter((call) => WRITES.has(call));

/** A family from a real code exchange, for `subject`. */
async function issueFor(f: Fixture, subject: string): Promise<TokenResponse> {
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(40).toString('base64url');
  const now = f.clock.seconds;
  await f.deps.codes.create(hashSecret(code), {
    clientId: f.client.clientId,
    redirectUri: f.client.redirectUris[0]!,
    codeChallenge: s256(verifier),
    subject,
    scope: ['openid', 'offline_access', 'read'],
    audience: 'api',
    authTime: now,
    createdAt: now,
    expiresAt: now + 60,
  });
  return authorizationCodeGrant.handle(
    {
      client: f.client,
      params: new Map([
        ['code', code],
        ['redirect_uri', f.client.redirectUris[0]!],
        ['code_verifier', verifier],
      ]),
    },
    f.deps,
  );
}

/**
 * The admin side as its own function: its own DynamoDB client (counted) and its own markers
 * instance over the fixture's table; the token side (the fixture's grants) sees the markers on
 * its very next request: no clock moves between the revocation and the checks below.
 */
function adminSide(f: Fixture): { deps: BulkRevocationDependencies; calls: string[] } {
  const dynamo = localDynamoClient();
  const calls = countCalls(dynamo);
  return {
    deps: { clock: f.clock, lifetimes: f.deps.lifetimes, markers: new DynamoDbRevocationMarkers({ client: dynamo, tableName: f.tableName, clock: f.clock }) },
    calls,
  };
}

describe('bulk revocation at function level', () => {
  const introspectionOf = (f: Fixture) => {
    const deps = { ...f.deps, cache: new IntrospectionCache() };
    return (token: string) => introspect(f.client, new Map([['token', token]]), deps);
  };

  it('password_changed makes the same, constant number of writes for a user with 1 family as for one with 50; then all 50 are refused and inactive', async () => {
    const f = await grantFixture();
    f.parameters.set('introspection_cache_ttl', '0');
    const solo = await issueFor(f, 'solo');
    const many: TokenResponse[] = [];
    for (let batch = 0; batch < 5; batch += 1) many.push(...(await Promise.all(Array.from({ length: 10 }, () => issueFor(f, 'many')))));
    const bystander = await issueFor(f, 'bystander');
    const inspect = introspectionOf(f);
    for (const tokens of [solo, ...many]) expect(await inspect(tokens.refresh_token!)).toMatchObject({ active: true });

    f.clock.advance(1);
    const admin = adminSide(f);
    expect(await userEvent(admin.deps, 'solo', { type: 'password_changed' })).toMatchObject({ revoked: ['tokens', 'sessions'] });
    const forOne = [...admin.calls];
    admin.calls.length = 0;
    expect(await userEvent(admin.deps, 'many', { type: 'password_changed' })).toMatchObject({ revoked: ['tokens', 'sessions'] });
    const forFifty = [...admin.calls];
    expect(writes(forOne).length).toBeGreaterThan(0);
    expect(writes(forOne).length).toBeLessThanOrEqual(2);
    expect(writes(forFifty)).toEqual(writes(forOne));
    expect(forFifty).toEqual(forOne);

    for (const tokens of [solo, ...many]) {
      expect(await inspect(tokens.refresh_token!)).toEqual({ active: false });
      expect(await inspect(tokens.access_token)).toEqual({ active: false });
    }
    const refusals = await Promise.all([solo, ...many].map((tokens) => refusedWith(f.refresh(tokens.refresh_token!))));
    expect(refusals).toEqual(Array.from({ length: 51 }, () => 'invalid_grant'));
    // Another user is untouched.
    expect(await inspect(bystander.refresh_token!)).toMatchObject({ active: true });
    expect((await f.refresh(bystander.refresh_token!)).refresh_token).toMatch(/^lsr_/);
    // A family started after the marker works.
    f.clock.advance(1);
    const after = await issueFor(f, 'many');
    expect(await inspect(after.refresh_token!)).toMatchObject({ active: true });
    expect(await inspect(after.access_token)).toMatchObject({ active: true });
    expect((await f.refresh(after.refresh_token!)).refresh_token).toMatch(/^lsr_/);
  });

  it('compromised: constant writes too (tokens and sessions), however many families', async () => {
    const f = await grantFixture();
    await issueFor(f, 'one');
    await Promise.all(Array.from({ length: 20 }, () => issueFor(f, 'twenty')));
    const admin = adminSide(f);
    expect(await userEvent(admin.deps, 'one', { type: 'compromised' })).toMatchObject({ revoked: ['tokens', 'sessions'] });
    const forOne = [...admin.calls];
    admin.calls.length = 0;
    await userEvent(admin.deps, 'twenty', { type: 'compromised' });
    expect(admin.calls).toEqual(forOne);
    expect(writes(forOne).length).toBeGreaterThan(0);
    expect(writes(forOne).length).toBeLessThanOrEqual(2);
  });

  it('revoke_refresh_on_password_change=false and end_sessions_on_password_change=false: password_changed and mfa_changed write nothing and revoke nothing; compromised still does', async () => {
    const f = await grantFixture();
    f.parameters.set('introspection_cache_ttl', '0');
    f.parameters.set('revoke_refresh_on_password_change', 'false');
    f.parameters.set('end_sessions_on_password_change', 'false');
    const tokens = await issueFor(f, 'carol');
    f.clock.advance(1);
    const admin = adminSide(f);
    expect(await userEvent(admin.deps, 'carol', { type: 'password_changed' })).toEqual({ subject: 'carol', type: 'password_changed', revoked: [] });
    expect(await userEvent(admin.deps, 'carol', { type: 'mfa_changed' })).toEqual({ subject: 'carol', type: 'mfa_changed', revoked: [] });
    expect(writes(admin.calls)).toEqual([]);
    const inspect = introspectionOf(f);
    expect(await inspect(tokens.access_token)).toMatchObject({ active: true });
    const rotated = await f.refresh(tokens.refresh_token!);
    await userEvent(admin.deps, 'carol', { type: 'compromised' });
    expect(await refusedWith(f.refresh(rotated.refresh_token!))).toBe('invalid_grant');
  });

  it('revoke_refresh_on_password_change=true (default): mfa_changed revokes like password_changed', async () => {
    const f = await grantFixture();
    const tokens = await issueFor(f, 'dave');
    f.clock.advance(1);
    const admin = adminSide(f);
    expect(await userEvent(admin.deps, 'dave', { type: 'mfa_changed' })).toMatchObject({ revoked: ['tokens', 'sessions'] });
    expect(await refusedWith(f.refresh(tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('POST /admin/revocations bodies: one marker write per scope, whatever the number of tokens', async () => {
    const f = await grantFixture();
    await Promise.all(Array.from({ length: 10 }, () => issueFor(f, 'erin')));
    const admin = adminSide(f);
    for (const body of [{ scope: 'user', id: 'erin' }, { scope: 'client', id: f.client.clientId }, { scope: 'global' }]) {
      admin.calls.length = 0;
      expect(await revokeAll(admin.deps, body)).toMatchObject({ scope: body.scope, valid_after: f.clock.seconds });
      expect(writes(admin.calls).length).toBeGreaterThan(0);
      expect(writes(admin.calls).length).toBeLessThanOrEqual(2);
    }
  });
});
