import { AccessDeniedException, GetParametersByPathCommand, InternalServerError, PutParameterCommand, ThrottlingException } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { DependencyError, isTransientAwsError } from '../../../functions/adapters/aws-errors.ts';
import { SsmParameterSource } from '../../../functions/adapters/ssm/ssm-parameter-source.ts';
import { TemporarilyUnavailable } from '../../../functions/oauth/errors.ts';
import { AWS_CALL_BUDGETS } from '../../../functions/runtime/aws-clients.ts';
import { FakeSsm } from '../../support/fake-ssm.ts';

const read = () => new GetParametersByPathCommand({ Path: '/lifespan/prod/', Recursive: true, MaxResults: 10 });
const write = () => new PutParameterCommand({ Name: '/lifespan/prod/access_token_ttl', Value: '300', Type: 'String', Overwrite: true });
const stored = () => new FakeSsm({ '/lifespan/prod/access_token_ttl': '600' });

// The fake stands in for SSM in the CLI's and the adapter's tests: its faults are SSM's own.
describe('FakeSsm faults', () => {
  it('throttles with the ThrottlingException @aws-sdk/client-ssm models, a 400 client fault', async () => {
    const ssm = stored();
    const cue = ssm.fail({ mode: 'throttle', times: 1 });

    const error = await ssm.send(read()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error).toMatchObject({ $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(isTransientAwsError(error)).toBe(true);
    expect(cue).toMatchObject({ hits: 1, remaining: 0 });
    expect((await ssm.send(read())).Parameters).toHaveLength(1);
    expect(ssm.reads).toHaveLength(2);
  });

  it("denies access with AccessDeniedException, naming the call and the resource, as IAM does: not transient", async () => {
    const ssm = stored();
    ssm.fail({ mode: 'access_denied' });

    const error = await ssm.send(read()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AccessDeniedException);
    expect((error as Error).message).toMatch(/not authorized to perform: ssm:GetParametersByPath on resource: arn:aws:ssm:.*:parameter\/lifespan\/prod\//);
    expect(isTransientAwsError(error)).toBe(false);
  });

  it('fails with InternalServerError, a 500 server fault', async () => {
    const ssm = stored();
    ssm.fail({ mode: 'internal', times: 1 });
    await expect(ssm.send(read())).rejects.toBeInstanceOf(InternalServerError);
    await expect(ssm.send(read())).resolves.toBeDefined();
  });

  it("times out after the delay with the SDK's TimeoutError", async () => {
    const ssm = stored();
    ssm.fail({ mode: 'timeout', delayMs: 30 });
    const started = performance.now();
    await expect(ssm.send(read())).rejects.toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('hangs until the faults are cleared, then answers', async () => {
    const ssm = stored();
    ssm.fail({ mode: 'hang' });

    let settled = false;
    const call = ssm.send(read()).finally(() => {
      settled = true;
    });
    while (ssm.hanging === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);

    ssm.clearFaults();
    expect((await call).Parameters).toEqual([expect.objectContaining({ Name: '/lifespan/prod/access_token_ttl', Value: '600' })]);
  });

  it('selects by operation: a cue on PutParameter leaves reads alone, and a failed write changes nothing', async () => {
    const ssm = stored();
    ssm.fail({ operation: 'PutParameter', mode: 'throttle' });

    await expect(ssm.send(write())).rejects.toBeInstanceOf(ThrottlingException);
    await expect(ssm.send(read())).resolves.toBeDefined();
    expect(ssm.values()).toEqual({ '/lifespan/prod/access_token_ttl': '600' });
    expect(ssm.puts).toHaveLength(1);
  });

  it('refuses a cue it cannot apply with a TypeError', () => {
    const ssm = stored();
    expect(() => ssm.fail({ mode: 'throttle', times: -1 })).toThrow(TypeError);
    expect(() => ssm.fail({ mode: 'denied' as 'access_denied' })).toThrow(TypeError);
    expect(() => ssm.fail({ mode: 'timeout', delayMs: Number.NaN })).toThrow(TypeError);
  });

  describe('with translateUnavailable, like ssmClient()', () => {
    const attempts = AWS_CALL_BUDGETS.ssm.maxAttempts;
    const faked = () => new FakeSsm({ '/lifespan/prod/access_token_ttl': '600' }, { translateUnavailable: true });

    it.each(['throttle', 'internal', 'timeout'] as const)('%s on every attempt: the adapter gets a 503 after maxAttempts reads', async (mode) => {
      const ssm = faked();
      ssm.fail({ mode, times: attempts });

      const error = await new SsmParameterSource({ client: ssm, stage: 'prod' }).load().catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(TemporarilyUnavailable);
      const dependency = (error as TemporarilyUnavailable).cause;
      expect(dependency).toBeInstanceOf(DependencyError);
      expect(dependency).toMatchObject({ service: 'SSM' });
      expect((dependency as DependencyError).cause).toMatchObject({ $metadata: { attempts } });
      expect(ssm.reads).toHaveLength(attempts);
    });

    it('one failure fewer than the attempts: the retry is answered', async () => {
      const ssm = faked();
      ssm.fail({ mode: 'throttle', times: attempts - 1 });
      expect(await new SsmParameterSource({ client: ssm, stage: 'prod' }).load()).toEqual(new Map([['access_token_ttl', '600']]));
    });

    it('passes AccessDeniedException through unchanged, after one read', async () => {
      const ssm = faked();
      ssm.fail({ mode: 'access_denied' });
      await expect(new SsmParameterSource({ client: ssm, stage: 'prod' }).load()).rejects.toBeInstanceOf(AccessDeniedException);
      expect(ssm.reads).toHaveLength(1);
    });
  });
});
