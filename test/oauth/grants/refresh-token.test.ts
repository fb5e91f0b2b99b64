import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { decodeRefreshToken, encodeRefreshToken, newRefreshSecret } from '../../../functions/oauth/tokens/refresh-token.ts';
import { clientRecord } from '../../support/clients.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusedWith } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;

const familyOf = (token: string) => decodeRefreshToken(token)!.familyId;

describe('refresh_token grant', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await grantFixture();
  });

  const family = (token: string) => f.deps.families.get(familyOf(token));

  it('rotates on every use: a new refresh token each time, one generation further', async () => {
    const issued = await f.issue();
    const first = await f.refresh(issued.refresh_token!);
    const second = await f.refresh(first.refresh_token!);
    expect(new Set([issued.refresh_token, first.refresh_token, second.refresh_token]).size).toBe(3);
    expect(decodeRefreshToken(second.refresh_token!)!.generation).toBe(2);
    expect(await family(issued.refresh_token!)).toMatchObject({ generation: 2, revoked: false });
  });

  it('25 concurrent refreshes with one token: exactly one succeeds, the rest are invalid_grant, the family ends revoked once', async () => {
    const issued = await f.issue();
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => f.refresh(issued.refresh_token!)));
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(24);
    for (const result of rejected) expect((result.reason as OAuthError).code).toBe('invalid_grant');
    // Reuse of the superseded token revoked the family: one consistent state, with the winner's successor dead too.
    const stored = await family(issued.refresh_token!);
    expect(stored).toMatchObject({ generation: 1, revoked: true, revokedReason: 'reuse' });
    const winner = (fulfilled[0] as PromiseFulfilledResult<{ refresh_token?: string }>).value;
    expect(await refusedWith(f.refresh(winner.refresh_token!))).toBe('invalid_grant');
    expect(f.metrics.points.filter((point) => point.name === 'FamilyRevoked')).toHaveLength(1);
  });

  it.each([
    ['the immediately previous token', 1],
    ['a token two rotations old', 2],
  ])('reuse of %s revokes the family, so the newest token dies too', async (_why, back) => {
    const tokens = [(await f.issue()).refresh_token!];
    for (let i = 0; i < 3; i += 1) tokens.push((await f.refresh(tokens.at(-1)!)).refresh_token!);
    const newest = tokens.at(-1)!;
    expect(await refusedWith(f.refresh(tokens[tokens.length - 1 - back]!))).toBe('invalid_grant');
    expect(await family(newest)).toMatchObject({ revoked: true, revokedReason: 'reuse', reuseDetectedAt: f.clock.seconds });
    expect(await refusedWith(f.refresh(newest))).toBe('invalid_grant');
    expect(f.metrics.points.some((point) => point.name === 'RefreshReuseDetected')).toBe(true);
  });

  it('a valid family id with a wrong secret is refused without revoking (no denial of service by guessing)', async () => {
    const issued = await f.issue();
    const current = (await f.refresh(issued.refresh_token!)).refresh_token!;
    const decoded = decodeRefreshToken(current)!;
    for (const generation of [0, 1, 2]) {
      const forged = encodeRefreshToken({ ...decoded, generation, secret: newRefreshSecret() });
      expect(await refusedWith(f.refresh(forged))).toBe('invalid_grant');
    }
    expect(await refusedWith(f.refresh(encodeRefreshToken({ ...decoded, absoluteExpiresAt: decoded.absoluteExpiresAt + 1 })))).toBe(
      'invalid_grant',
    );
    expect(await family(current)).toMatchObject({ revoked: false, generation: 1 });
    expect((await f.refresh(current)).refresh_token).toBeDefined();
  });

  it('refuses malformed tokens and tokens of another client, without touching the family', async () => {
    const issued = await f.issue();
    for (const token of ['', 'garbage', `${issued.refresh_token!}x`, issued.refresh_token!.slice(0, -2)]) {
      expect(['invalid_grant', 'invalid_request']).toContain(await refusedWith(f.refresh(token)));
    }
    const other = clientRecord();
    expect(await refusedWith(f.refresh(issued.refresh_token!, {}, other))).toBe('invalid_grant');
    expect(await family(issued.refresh_token!)).toMatchObject({ revoked: false, generation: 0 });
  });

  describe('within refresh_token_reuse_interval', () => {
    beforeEach(() => {
      f.parameters.set('refresh_token_reuse_interval', '30');
    });

    it('a retry with the previous token gets the same successor and a fresh access token', async () => {
      const issued = await f.issue();
      const first = await f.refresh(issued.refresh_token!);
      f.clock.advance(10);
      const retry = await f.refresh(issued.refresh_token!);
      expect(retry.refresh_token).toBe(first.refresh_token);
      expect(retry.access_token).not.toBe(first.access_token);
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: false, generation: 1 });
      expect((await f.refresh(first.refresh_token!)).refresh_token).toBeDefined();
    });

    it('a retry may narrow the scope but never widen it past the family’s, though the client may hold more', async () => {
      const issued = await f.issue(['openid', 'offline_access', 'read']);
      const first = await f.refresh(issued.refresh_token!);
      expect(await refusedWith(f.refresh(issued.refresh_token!, { scope: 'openid read write' }))).toBe('invalid_scope');
      expect((await f.refresh(issued.refresh_token!, { scope: 'read' })).scope).toBe('read');
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: false, generation: 1 });
      expect((await f.refresh(first.refresh_token!)).refresh_token).toBeDefined();
    });

    it('allows only one step back: a token two rotations old is reuse', async () => {
      const issued = await f.issue();
      const first = await f.refresh(issued.refresh_token!);
      await f.refresh(first.refresh_token!);
      expect(await refusedWith(f.refresh(issued.refresh_token!))).toBe('invalid_grant');
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: true, revokedReason: 'reuse' });
    });

    it('after the interval, the previous token is reuse', async () => {
      const issued = await f.issue();
      await f.refresh(issued.refresh_token!);
      f.clock.advance(31);
      expect(await refusedWith(f.refresh(issued.refresh_token!))).toBe('invalid_grant');
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: true, revokedReason: 'reuse' });
    });

    it('concurrent refreshes all get the one successor', async () => {
      const issued = await f.issue();
      const results = await Promise.all(Array.from({ length: 10 }, () => f.refresh(issued.refresh_token!)));
      expect(new Set(results.map((result) => result.refresh_token)).size).toBe(1);
      expect(await family(issued.refresh_token!)).toMatchObject({ revoked: false, generation: 1 });
    });

    it('nothing recoverable is stored: the table holds only hashes, never the successor', async () => {
      const issued = await f.issue();
      const first = await f.refresh(issued.refresh_token!);
      const { Item } = await f.dynamo.send(
        new GetItemCommand({ TableName: f.tableName, Key: { pk: { S: `FAMILY#${familyOf(first.refresh_token!)}` }, sk: { S: 'FAMILY' } } }),
      );
      const stored = JSON.stringify(Item);
      for (const token of [issued.refresh_token!, first.refresh_token!]) {
        expect(stored).not.toContain(decodeRefreshToken(token)!.secret);
      }
    });
  });

  it('with rotation off, the same token keeps working, and expiry still applies', async () => {
    f.parameters.set('refresh_token_rotation', 'false');
    f.parameters.set('refresh_token_idle_ttl', '100');
    const issued = await f.issue();
    const first = await f.refresh(issued.refresh_token!);
    expect(first.refresh_token).toBe(issued.refresh_token);
    f.clock.advance(90);
    expect((await f.refresh(issued.refresh_token!)).refresh_token).toBe(issued.refresh_token);
    f.clock.advance(101);
    expect(await refusedWith(f.refresh(issued.refresh_token!))).toBe('invalid_grant');
  });

  describe('expiry (DynamoDB deletes late: every read checks)', () => {
    beforeEach(() => {
      f.parameters.set('refresh_token_idle_ttl', '100');
      f.parameters.set('refresh_token_absolute_ttl', '250');
    });

    const ttlOf = async (token: string) => {
      const { Item } = await f.dynamo.send(
        new GetItemCommand({ TableName: f.tableName, Key: { pk: { S: `FAMILY#${familyOf(token)}` }, sk: { S: 'FAMILY' } } }),
      );
      return Item ? Number(Item['expires_at']!.N) : undefined;
    };

    it('idle expiry slides with use; past it, the family is refused though its item still exists', async () => {
      let token = (await f.issue()).refresh_token!;
      expect(await ttlOf(token)).toBe(f.clock.seconds + 100);
      f.clock.advance(90);
      token = (await f.refresh(token)).refresh_token!;
      expect(await ttlOf(token)).toBe(f.clock.seconds + 100);
      f.clock.advance(101);
      expect(await ttlOf(token)).toBeDefined();
      expect(await refusedWith(f.refresh(token))).toBe('invalid_grant');
      expect(f.metrics.points).toContainEqual(expect.objectContaining({ name: 'FamilyRevoked', dimensions: { Reason: 'idle' } }));
    });

    it('absolute expiry is fixed at creation and never slides: the TTL becomes min(idle, absolute)', async () => {
      const start = f.clock.seconds;
      let token = (await f.issue()).refresh_token!;
      for (const step of [90, 90, 60]) {
        f.clock.advance(step);
        token = (await f.refresh(token)).refresh_token!;
      }
      expect(await ttlOf(token)).toBe(start + 250);
      f.clock.advance(11);
      expect(await refusedWith(f.refresh(token))).toBe('invalid_grant');
      expect(f.metrics.points).toContainEqual(expect.objectContaining({ name: 'FamilyRevoked', dimensions: { Reason: 'absolute' } }));
    });

    it('a shorter idle lifetime applies to existing families at once', async () => {
      const token = (await f.issue()).refresh_token!;
      f.clock.advance(50);
      f.parameters.set('refresh_token_idle_ttl', '40');
      expect(await refusedWith(f.refresh(token))).toBe('invalid_grant');
    });
  });

  it('scope may only narrow: a wider request is invalid_scope and does not burn the token', async () => {
    const issued = await f.issue(['openid', 'offline_access', 'read']);
    expect(await refusedWith(f.refresh(issued.refresh_token!, { scope: 'read write' }))).toBe('invalid_scope');
    expect(await family(issued.refresh_token!)).toMatchObject({ generation: 0, revoked: false });
    const narrowed = await f.refresh(issued.refresh_token!, { scope: 'read' });
    expect(narrowed.scope).toBe('read');
    expect(narrowed.id_token).toBeUndefined();
    // The family keeps its full scope: the next refresh may ask for all of it again.
    expect((await f.refresh(narrowed.refresh_token!)).scope).toBe('openid offline_access read');
  });

  it('honours revoke-all markers: a family created before a user marker is refused and revoked', async () => {
    const before = (await f.issue()).refresh_token!;
    await f.deps.markers.write('user', 'alice', f.clock.seconds, f.clock.seconds + 3600);
    expect(await refusedWith(f.refresh(before))).toBe('invalid_grant');
    expect(await family(before)).toMatchObject({ revoked: true, revokedReason: 'marker' });
    f.clock.advance(1);
    const after = (await f.issue()).refresh_token!;
    expect((await f.refresh(after)).refresh_token).toBeDefined();
  });

  it.each(['client', 'global'] as const)('honours a %s marker', async (kind) => {
    const token = (await f.issue()).refresh_token!;
    await f.deps.markers.write(kind, kind === 'client' ? f.client.clientId : '*', f.clock.seconds, f.clock.seconds + 3600);
    expect(await refusedWith(f.refresh(token))).toBe('invalid_grant');
  });
});
