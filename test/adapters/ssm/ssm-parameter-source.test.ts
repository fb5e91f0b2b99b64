import { SSMClient, ThrottlingException } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { SsmParameterSource, type SsmParametersClient } from '../../../functions/adapters/ssm/ssm-parameter-source.ts';
import { LifetimeConfigStore } from '../../../functions/lifetimes/config.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';
import { memoryMetrics } from '../../../functions/observability/metrics.ts';
import { FakeSsm, pageToken } from '../../support/fake-ssm.ts';

function fakeWith(count: number): FakeSsm {
  const ssm = new FakeSsm();
  for (let index = 0; index < count; index += 1) ssm.set(`/lifespan/prod/clients/client-${String(index).padStart(2, '0')}/access_token_ttl`, String(60 + index));
  ssm.set('/lifespan/prod/access_token_ttl', '600');
  ssm.set('/lifespan/staging/access_token_ttl', '1200');
  ssm.set('/lifespan/production/access_token_ttl', '1800');
  return ssm;
}

describe('SsmParameterSource', () => {
  it('accepts a real SSMClient', () => {
    const client: SsmParametersClient = new SSMClient({ region: 'eu-west-1' });
    expect(() => new SsmParameterSource({ client, stage: 'prod' })).not.toThrow();
  });

  it('refuses a bad stage or client with a TypeError', () => {
    expect(() => new SsmParameterSource({ client: new FakeSsm(), stage: 'a/b' })).toThrow(TypeError);
    expect(() => new SsmParameterSource({ client: {} as SsmParametersClient, stage: 'prod' })).toThrow(TypeError);
  });

  it('reads every page under /lifespan/<stage>/, recursively and decrypted, and strips the prefix', async () => {
    const ssm = fakeWith(24);
    const values = await new SsmParameterSource({ client: ssm, stage: 'prod' }).load();

    expect(values.size).toBe(25);
    expect(values.get('access_token_ttl')).toBe('600');
    expect(values.get('clients/client-00/access_token_ttl')).toBe('60');
    expect(values.get('clients/client-23/access_token_ttl')).toBe('83');
    expect([...values.keys()].every((name) => !name.startsWith('/'))).toBe(true);

    expect(ssm.reads).toHaveLength(3);
    for (const request of ssm.reads) {
      expect(request).toMatchObject({ Path: '/lifespan/prod/', Recursive: true, WithDecryption: true, MaxResults: 10 });
    }
    expect(ssm.reads[0]?.NextToken).toBeUndefined();
    expect(ssm.reads[1]?.NextToken).toBe(pageToken(10));
    expect(ssm.reads[2]?.NextToken).toBe(pageToken(20));
  });

  it('keeps following NextToken through a short or empty page', async () => {
    const ssm = fakeWith(14);
    ssm.emptyPages.add(0);
    const values = await new SsmParameterSource({ client: ssm, stage: 'prod' }).load();
    expect(values.size).toBe(15);
    expect(ssm.reads).toHaveLength(3);
  });

  it('returns nothing for a stage without parameters', async () => {
    const ssm = fakeWith(3);
    expect((await new SsmParameterSource({ client: ssm, stage: 'dev' }).load()).size).toBe(0);
    expect(ssm.reads).toHaveLength(1);
  });

  it('lets SSM errors through for the store to handle', async () => {
    const ssm = fakeWith(3);
    ssm.fail({ mode: 'throttle' });
    await expect(new SsmParameterSource({ client: ssm, stage: 'prod' }).load()).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('feeds the store: a change in SSM is read once the refresh is due, not before, and served from the request after', async () => {
    const ssm = fakeWith(11);
    const start = Date.now();
    const clock = { time: start, now() { return this.time; } };
    const store = new LifetimeConfigStore({
      source: new SsmParameterSource({ client: ssm, stage: 'prod' }),
      clock,
      logger: memoryLogger(),
      metrics: memoryMetrics(),
      maxAgeMs: 15_000,
      random: () => 1,
    });
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect((await store.current()).clients.get('client-10')).toEqual({ access_token_ttl: 70 });
    const calls = ssm.reads.length;

    ssm.set('/lifespan/prod/access_token_ttl', '300');
    clock.time = start + 14_999;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect(ssm.reads).toHaveLength(calls);

    clock.time = start + 15_000;
    // Stale-while-revalidate: this request is answered at once; the refresh it started reads every page.
    expect((await store.current()).global.access_token_ttl).toBe(600);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((await store.current()).global.access_token_ttl).toBe(300);
    expect(ssm.reads).toHaveLength(calls * 2);
  });
});
