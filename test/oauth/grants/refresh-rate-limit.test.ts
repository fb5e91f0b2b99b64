import { beforeEach, describe, expect, it } from 'vitest';
import { decodeRefreshToken, encodeRefreshToken, newRefreshSecret } from '../../../functions/oauth/tokens/refresh-token.ts';
import { grantFixture } from '../../support/grant-fixture.ts';
import { refusal } from '../../support/refusals.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;


describe('refresh rate limits', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await grantFixture();
    f.parameters.set('refresh_rate_limit', '3');
    f.parameters.set('rate_limit_window', '60');
  });

  it('refuses more than N refreshes of a family per window with 429 and Retry-After, inside the one write, without burning the token', async () => {
    let token = (await f.issue()).refresh_token!;
    for (let i = 0; i < 3; i += 1) {
      f.clock.advance(1);
      token = (await f.refresh(token)).refresh_token!;
    }
    f.clock.advance(1);
    const limited = await refusal(f.refresh(token));
    expect(limited).toMatchObject({ code: 'too_many_requests', status: 429 });
    expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0);
    expect(Number(limited.headers['Retry-After'])).toBeLessThanOrEqual(60);
    expect(await f.deps.families.get(decodeRefreshToken(token)!.familyId)).toMatchObject({ generation: 3, revoked: false });
    expect(f.metrics.points).toContainEqual(expect.objectContaining({ name: 'RateLimited' }));
    f.clock.advance(60);
    expect((await f.refresh(token)).refresh_token).toBeDefined();
  });

  it('retries of the previous token within refresh_token_reuse_interval count toward refresh_rate_limit: the N+1st is 429, the current token still works', async () => {
    f.parameters.set('refresh_token_reuse_interval', '60');
    const previous = (await f.issue()).refresh_token!;
    f.clock.advance(1);
    const current = (await f.refresh(previous)).refresh_token!;
    // All within one second, so within one counting window.
    for (let i = 0; i < 3; i += 1) expect((await f.refresh(previous)).refresh_token).toBe(current);
    const limited = await refusal(f.refresh(previous));
    expect(limited).toMatchObject({ code: 'too_many_requests', status: 429 });
    expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0);
    expect(Number(limited.headers['Retry-After'])).toBeLessThanOrEqual(60);
    expect(f.metrics.points).toContainEqual(expect.objectContaining({ name: 'RateLimited', dimensions: { Limit: 'refresh_retries' } }));
    const familyId = decodeRefreshToken(current)!.familyId;
    expect(await f.deps.families.get(familyId)).toMatchObject({ generation: 1, revoked: false });
    expect((await f.refresh(current)).refresh_token).toBeDefined();
    expect(await f.deps.families.get(familyId)).toMatchObject({ generation: 2, revoked: false });
  });

  it('counts failed attempts on a family apart: past the limit they get 429, and the real token still works', async () => {
    const token = (await f.issue()).refresh_token!;
    const forged = encodeRefreshToken({ ...decodeRefreshToken(token)!, secret: newRefreshSecret() });
    for (let i = 0; i < 3; i += 1) expect((await refusal(f.refresh(forged))).code).toBe('invalid_grant');
    expect(await refusal(f.refresh(forged))).toMatchObject({ code: 'too_many_requests', status: 429 });
    expect((await f.refresh(token)).refresh_token).toBeDefined();
  });
});
