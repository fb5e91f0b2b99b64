import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorizationCodeGrant } from '../../../functions/oauth/grants/authorization-code.ts';
import { s256 } from '../../../functions/oauth/pkce.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { decodeRefreshToken } from '../../../functions/oauth/tokens/refresh-token.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusedWith } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

describe('authorization_code grant', () => {
  let f: Fixture;
  let code: string;
  let verifier: string;
  beforeEach(async () => {
    f = await grantFixture();
    code = randomBytes(32).toString('base64url');
    verifier = randomBytes(40).toString('base64url');
    const now = f.clock.seconds;
    await f.deps.codes.create(hashSecret(code), {
      clientId: f.client.clientId,
      redirectUri: f.client.redirectUris[0]!,
      codeChallenge: s256(verifier),
      subject: 'alice',
      scope: ['openid', 'offline_access'],
      audience: 'api',
      authTime: now,
      nonce: 'n-1',
      createdAt: now,
      expiresAt: now + 60,
    });
  });

  const exchange = (overrides: Record<string, string> = {}, client = f.client) =>
    authorizationCodeGrant.handle(
      {
        client,
        params: new Map(Object.entries({ code, redirect_uri: f.client.redirectUris[0]!, code_verifier: verifier, ...overrides })),
      },
      f.deps,
    );

  it('issues access, ID and refresh tokens once, with the nonce and at_hash', async () => {
    const tokens = await exchange();
    const id = decodeJwt(tokens.id_token!);
    expect(id).toMatchObject({ nonce: 'n-1', sub: 'alice', aud: f.client.clientId });
    expect(typeof id['at_hash']).toBe('string');
    expect(tokens.refresh_token).toBeDefined();
  });

  it('a replayed code is refused and revokes what its first use issued', async () => {
    const tokens = await exchange();
    expect(await refusedWith(exchange())).toBe('invalid_grant');
    const family = await f.deps.families.get(decodeRefreshToken(tokens.refresh_token!)!.familyId);
    expect(family).toMatchObject({ revoked: true, revokedReason: 'code_replay' });
    expect(await refusedWith(f.refresh(tokens.refresh_token!))).toBe('invalid_grant');
    const jti = decodeJwt(tokens.access_token).jti!;
    expect(await f.deps.accessTokens.isDenied(jti, f.clock.seconds)).toBe(true);
  });

  it('an expired code is refused, though DynamoDB has not deleted it', async () => {
    f.clock.advance(61);
    expect(await refusedWith(exchange())).toBe('invalid_grant');
  });

  it.each([
    ['a wrong verifier', { code_verifier: randomBytes(40).toString('base64url') }],
    ['another redirect URI', { redirect_uri: 'https://app.example.com/other' }],
  ])('%s is refused without burning the code', async (_why, overrides) => {
    expect(await refusedWith(exchange(overrides))).toBe('invalid_grant');
    expect((await exchange()).access_token).toBeDefined();
  });

  it('another client is refused without burning the code', async () => {
    expect(await refusedWith(exchange({}, clientRecord()))).toBe('invalid_grant');
    expect((await exchange()).access_token).toBeDefined();
  });

  it.each([
    ['no verifier', { code_verifier: '' }, 'invalid_grant'],
    ['a short verifier', { code_verifier: 'short' }, 'invalid_grant'],
    ['no redirect_uri when /authorize had one (RFC 6749 §4.1.3)', { redirect_uri: '' }, 'invalid_grant'],
    ['no code', { code: '' }, 'invalid_request'],
  ])('refuses %s', async (_why, overrides, error) => {
    const params = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== ''));
    const missing = Object.keys(overrides).filter((key) => overrides[key as keyof typeof overrides] === '');
    const request = new Map(Object.entries({ code, redirect_uri: f.client.redirectUris[0]!, code_verifier: verifier, ...params }));
    for (const key of missing) request.delete(key);
    expect(await refusedWith(authorizationCodeGrant.handle({ client: f.client, params: request }, f.deps))).toBe(error);
  });

  it('concurrent exchanges of one code: exactly one succeeds', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => exchange()));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('the redeem write itself guards PKCE: no verifier for a code with a challenge, a verifier for one without, both refused', async () => {
    const bare = randomBytes(32).toString('base64url');
    const now = f.clock.seconds;
    const base = { clientId: f.client.clientId, redirectUri: f.client.redirectUris[0]!, subject: 'alice', scope: ['openid'], audience: 'api', authTime: now, createdAt: now, expiresAt: now + 60 };
    await f.deps.codes.create(hashSecret(bare), base);
    const redeem = (codeHash: string, codeChallenge?: string) =>
      f.deps.codes.redeem({
        codeHash,
        clientId: f.client.clientId,
        redirectUri: base.redirectUri,
        ...(codeChallenge !== undefined && { codeChallenge }),
        now,
        familyId: 'f',
        accessTokenId: 'j',
      });
    expect(await redeem(hashSecret(code))).toBe('refused');
    expect(await redeem(hashSecret(bare), s256(verifier))).toBe('refused');
    expect(await redeem(hashSecret(bare))).toBe('redeemed');
    expect(await redeem(hashSecret(code), s256(verifier))).toBe('redeemed');
  });
});
