import { beforeEach, describe, expect, it } from 'vitest';
import type { GrantDependencies } from '../../../functions/oauth/grants/grant.ts';
import { refreshTokenGrant } from '../../../functions/oauth/grants/refresh-token.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { KEPT_ROTATIONS } from '../../../functions/oauth/tokens/family.ts';
import { decodeRefreshToken, encodeRefreshToken, newFamilyId, newRefreshSecret } from '../../../functions/oauth/tokens/refresh-token.ts';
import type { SuccessorDeriver } from '../../../functions/oauth/tokens/successor.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusal } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;


/** The fixture's deriver (same key), counting each derivation. */
function countingDeriver(inner: SuccessorDeriver): SuccessorDeriver & { calls: number } {
  const counter = {
    calls: 0,
    async successor(familyId: string, generation: number, secret: string) {
      counter.calls += 1;
      return inner.successor(familyId, generation, secret);
    },
  };
  return counter;
}

/**
 * Proving a superseded token genuine walks the successor chain, one HMAC per rotation: the walk
 * is bounded to KEPT_ROTATIONS, and counted against the failure limit before it runs.
 */
describe('refresh: the successor-chain walk is bounded', () => {
  let f: Fixture;
  let derivations: ReturnType<typeof countingDeriver>;
  let deps: GrantDependencies;
  const refresh = (token: string) => refreshTokenGrant.handle({ client: f.client, params: new Map([['refresh_token', token]]) }, deps);

  beforeEach(async () => {
    f = await grantFixture();
    derivations = countingDeriver(f.deps.successors);
    deps = { ...f.deps, successors: derivations };
  });

  it('a forged token against a family rotated 100,000 times costs at most KEPT_ROTATIONS derivations, is counted, and past the limit gets 429 with none', async () => {
    f.parameters.set('refresh_rate_limit', '3');
    f.parameters.set('rate_limit_window', '60');
    const real = decodeRefreshToken((await f.issue()).refresh_token!)!;
    const template = (await f.deps.families.get(real.familyId))!;
    const familyId = newFamilyId();
    await f.deps.families.create({ ...template, familyId, generation: 100_000, currentHash: hashSecret(newRefreshSecret()) }, template.absoluteExpiresAt);
    const forged = (generation: number) =>
      encodeRefreshToken({ familyId, generation, absoluteExpiresAt: template.absoluteExpiresAt, secret: newRefreshSecret() });

    const attempts: Array<[number, number]> = [
      [50_000, 0], // a plausible old generation, far beyond the bound: a guess, nothing derived
      [100_000 - KEPT_ROTATIONS - 1, 0],
      [100_000 - KEPT_ROTATIONS, KEPT_ROTATIONS], // at the bound: walked, and found not genuine
    ];
    for (const [generation, walked] of attempts) {
      derivations.calls = 0;
      const started = performance.now();
      expect((await refusal(refresh(forged(generation)))).code).toBe('invalid_grant');
      expect({ generation, derivations: derivations.calls }).toEqual({ generation, derivations: walked });
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    derivations.calls = 0;
    const limited = await refusal(refresh(forged(100_000 - 2)));
    expect(limited).toMatchObject({ code: 'too_many_requests', status: 429 });
    expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0);
    expect(derivations.calls).toBe(0);
    expect(f.metrics.points.filter((point) => point.name === 'InvalidGrant')).toHaveLength(3);
    expect(await f.deps.families.get(familyId)).toMatchObject({ generation: 100_000, revoked: false });
  });

  it('a genuine token KEPT_ROTATIONS rotations old is reuse and revokes the family; one more rotation back is refused as a guess and revokes nothing', async () => {
    f.parameters.set('rate_limit_window', '1');
    const tokens = [(await f.issue()).refresh_token!];
    for (let i = 0; i <= KEPT_ROTATIONS; i += 1) {
      f.clock.advance(2);
      tokens.push((await f.refresh(tokens.at(-1)!)).refresh_token!);
    }
    const familyId = decodeRefreshToken(tokens[0]!)!.familyId;
    const current = tokens.at(-1)!;
    expect(decodeRefreshToken(current)!.generation).toBe(KEPT_ROTATIONS + 1);

    derivations.calls = 0;
    expect((await refusal(refresh(tokens[0]!))).code).toBe('invalid_grant');
    expect(derivations.calls).toBe(0);
    expect(await f.deps.families.get(familyId)).toMatchObject({ revoked: false });

    derivations.calls = 0;
    const reuse = await refusal(refresh(tokens[1]!));
    expect(reuse).toMatchObject({ code: 'invalid_grant', message: 'refresh token was already used: the session is revoked' });
    expect(derivations.calls).toBe(KEPT_ROTATIONS);
    expect(await f.deps.families.get(familyId)).toMatchObject({ revoked: true, revokedReason: 'reuse' });
    expect((await refusal(refresh(current))).code).toBe('invalid_grant');
  });

  it('the previous token is reuse without any derivation', async () => {
    const previous = (await f.issue()).refresh_token!;
    f.clock.advance(1);
    await f.refresh(previous);
    derivations.calls = 0;
    expect((await refusal(refresh(previous))).code).toBe('invalid_grant');
    expect(derivations.calls).toBe(0);
    expect(await f.deps.families.get(decodeRefreshToken(previous)!.familyId)).toMatchObject({ revoked: true, revokedReason: 'reuse' });
  });
});
