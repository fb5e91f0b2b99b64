import {
  GetParametersByPathCommand,
  SSMClient,
  type GetParametersByPathCommandOutput,
  type Parameter,
} from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { SsmParameterSource, type SsmParametersClient } from '../../../functions/adapters/ssm/ssm-parameter-source.ts';
import { LifetimeConfigStore } from '../../../functions/lifetimes/config.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';
import { memoryMetrics } from '../../../functions/observability/metrics.ts';

/**
 * Answers GetParametersByPath from an in-memory parameter store the way SSM does: by path,
 * at most 10 per page, an opaque NextToken, and a ValidationException for what SSM refuses.
 */
class FakeSsm implements SsmParametersClient {
  readonly parameters = new Map<string, string>();
  readonly requests: Array<GetParametersByPathCommand['input']> = [];
  /** Page numbers (0-based) answered empty but with a NextToken, as SSM sometimes does. */
  readonly emptyPages = new Set<number>();
  failWith: Error | undefined;

  async send(command: GetParametersByPathCommand): Promise<GetParametersByPathCommandOutput> {
    if (!(command instanceof GetParametersByPathCommand)) throw new Error('unexpected command');
    const input = command.input;
    this.requests.push(input);
    if (this.failWith) throw this.failWith;
    const pageSize = input.MaxResults ?? 10;
    if (pageSize < 1 || pageSize > 10) throw validation('MaxResults must be between 1 and 10');
    if (!input.Path?.startsWith('/')) throw validation('Path must start with /');
    const path = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
    const matching: Parameter[] = [...this.parameters]
      .filter(([name]) => name.startsWith(path) && (input.Recursive || !name.slice(path.length).includes('/')))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([Name, Value]) => ({ Name, Value, Type: 'String' }));

    const pageNumber = this.requests.length - 1;
    const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    if (this.emptyPages.has(pageNumber)) return { Parameters: [], NextToken: encodeToken(offset), $metadata: {} };
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? encodeToken(offset + pageSize) : undefined;
    return { Parameters: page, NextToken: next, $metadata: {} };
  }
}

function validation(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationException' });
}
const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');
function decodeToken(token: string): number {
  const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString());
  if (typeof parsed !== 'object' || parsed === null || !('offset' in parsed) || typeof parsed.offset !== 'number') {
    throw validation('invalid NextToken');
  }
  return parsed.offset;
}

function fakeWith(count: number): FakeSsm {
  const ssm = new FakeSsm();
  for (let index = 0; index < count; index += 1) ssm.parameters.set(`/lifespan/prod/clients/client-${String(index).padStart(2, '0')}/access_token_ttl`, String(60 + index));
  ssm.parameters.set('/lifespan/prod/access_token_ttl', '600');
  ssm.parameters.set('/lifespan/staging/access_token_ttl', '1200');
  ssm.parameters.set('/lifespan/production/access_token_ttl', '1800');
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

    expect(ssm.requests).toHaveLength(3);
    for (const request of ssm.requests) {
      expect(request).toMatchObject({ Path: '/lifespan/prod/', Recursive: true, WithDecryption: true, MaxResults: 10 });
    }
    expect(ssm.requests[0]?.NextToken).toBeUndefined();
    expect(ssm.requests[1]?.NextToken).toBe(encodeToken(10));
    expect(ssm.requests[2]?.NextToken).toBe(encodeToken(20));
  });

  it('keeps following NextToken through a short or empty page', async () => {
    const ssm = fakeWith(14);
    ssm.emptyPages.add(0);
    const values = await new SsmParameterSource({ client: ssm, stage: 'prod' }).load();
    expect(values.size).toBe(15);
    expect(ssm.requests).toHaveLength(3);
  });

  it('returns nothing for a stage without parameters', async () => {
    const ssm = fakeWith(3);
    expect((await new SsmParameterSource({ client: ssm, stage: 'dev' }).load()).size).toBe(0);
    expect(ssm.requests).toHaveLength(1);
  });

  it('lets SSM errors through for the store to handle', async () => {
    const ssm = fakeWith(3);
    ssm.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await expect(new SsmParameterSource({ client: ssm, stage: 'prod' }).load()).rejects.toThrow('Rate exceeded');
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
    const calls = ssm.requests.length;

    ssm.parameters.set('/lifespan/prod/access_token_ttl', '300');
    clock.time = start + 14_999;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect(ssm.requests).toHaveLength(calls);

    clock.time = start + 15_000;
    // Stale-while-revalidate: this request is answered at once; the refresh it started reads every page.
    expect((await store.current()).global.access_token_ttl).toBe(600);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((await store.current()).global.access_token_ttl).toBe(300);
    expect(ssm.requests).toHaveLength(calls * 2);
  });
});
