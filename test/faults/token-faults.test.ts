import { afterEach, describe, expect, it } from 'vitest';
import { touchesPartition } from '../support/dynamodb-faults.ts';
import { records } from '../support/output.ts';
import { expectUnavailable, faultyTokenFunction } from './harness.ts';

type Fn = Awaited<ReturnType<typeof faultyTokenFunction>>;

let fn: Fn | undefined;
afterEach(async () => {
  await fn?.close();
  fn = undefined;
});

const logged = (f: Fn, event: string) => records(f.lines).filter((line) => line['event'] === event);

/**
 * Every step of a refresh failing in turn. For each: a 503 a client library retries (no 500,
 * nothing internal in the body), the family exactly as it was, and the retry with the same
 * refresh token succeeding: nothing Lifespan knows failed ever logs a user out.
 */
describe('a refresh when a dependency fails: the family is untouched and the retry succeeds', () => {
  const cases: Array<[string, (f: Fn) => void]> = [
    ['KMS Sign throttled', (f) => f.kms.failSign({ mode: 'throttle', times: 2 })],
    ['KMS Sign failing (KMSInternalException)', (f) => f.kms.failSign({ mode: 'internal', times: 2 })],
    ['KMS Sign timing out', (f) => f.kms.failSign({ mode: 'timeout', times: 2 })],
    ['the family read throttled', (f) => f.proxy.fail({ operation: 'GetItem', mode: 'throttle', times: 2, match: touchesPartition('FAMILY#') })],
    ['the family read hanging', (f) => f.proxy.fail({ operation: 'GetItem', mode: 'hang', times: 2, match: touchesPartition('FAMILY#') })],
    ['the markers read throttled', (f) => f.proxy.fail({ operation: 'BatchGetItem', mode: 'throttle', times: 2 })],
    ['the rotating write throttled', (f) => f.proxy.fail({ operation: 'UpdateItem', mode: 'throttle', times: 2, match: touchesPartition('FAMILY#') })],
    ['the rotating write failing (500)', (f) => f.proxy.fail({ operation: 'UpdateItem', mode: 'server_error', times: 2, match: touchesPartition('FAMILY#') })],
    ['the connection reset on the write', (f) => f.proxy.fail({ operation: 'UpdateItem', mode: 'reset', times: 2, match: touchesPartition('FAMILY#') })],
  ];
  it.each(cases)('%s', async (_, fail) => {
    const f = (fn = await faultyTokenFunction());
    const issued = await f.exchange();
    const before = await f.familyOf(issued.refresh_token);
    fail(f);
    expectUnavailable(await f.refresh(issued.refresh_token));
    expect(await f.familyOf(issued.refresh_token)).toEqual(before);
    expect(logged(f, 'dependency_unavailable')).toHaveLength(1);
    const retried = await f.refresh(issued.refresh_token);
    expect(retried.status, retried.raw).toBe(200);
    expect((await f.refresh(retried.body['refresh_token'] as string)).status).toBe(200);
  });

  it('the opaque access token cannot be written: no rotation, and the retry succeeds', async () => {
    const f = (fn = await faultyTokenFunction({ access_token_format: 'opaque' }));
    const issued = await f.exchange();
    const before = await f.familyOf(issued.refresh_token);
    f.proxy.fail({ operation: 'PutItem', mode: 'server_error', times: 2, match: touchesPartition('ACCESS#') });
    expectUnavailable(await f.refresh(issued.refresh_token));
    expect(await f.familyOf(issued.refresh_token)).toEqual(before);
    expect(f.proxy.requestsFor('UpdateItem').filter((request) => request.reachedDynamoDb)).toHaveLength(0);
    const retried = await f.refresh(issued.refresh_token);
    expect(retried.status, retried.raw).toBe(200);
    expect(String(retried.body['access_token'])).toMatch(/^lsa_/);
  });

  it('the SDK retries a write that had committed (its answer lost): recognised as this request, not as reuse', async () => {
    const f = (fn = await faultyTokenFunction());
    const issued = await f.exchange();
    f.proxy.fail({ operation: 'UpdateItem', mode: 'commit_then_hang', times: 1, match: touchesPartition('FAMILY#') });
    const answer = await f.refresh(issued.refresh_token);
    expect(answer.status, answer.raw).toBe(200);
    const family = await f.familyOf(issued.refresh_token);
    expect(family.revoked).toBe(false);
    expect((await f.refresh(answer.body['refresh_token'] as string)).status).toBe(200);
  });

  it('an ambiguous outcome (committed, every answer lost) is the reuse interval’s job: strict at 0, the same successor within it', async () => {
    const strict = (fn = await faultyTokenFunction());
    const issued = await strict.exchange();
    strict.proxy.fail({ operation: 'UpdateItem', mode: 'commit_then_hang', times: 2, match: touchesPartition('FAMILY#') });
    expectUnavailable(await strict.refresh(issued.refresh_token));
    await strict.proxy.settled();
    // With interval 0, the old token's second use cannot be told from a thief's: the family is revoked.
    expect((await strict.refresh(issued.refresh_token)).body['error']).toBe('invalid_grant');
    await strict.close();

    const lenient = (fn = await faultyTokenFunction({ refresh_token_reuse_interval: '30' }));
    const again = await lenient.exchange();
    lenient.proxy.fail({ operation: 'UpdateItem', mode: 'commit_then_hang', times: 2, match: touchesPartition('FAMILY#') });
    expectUnavailable(await lenient.refresh(again.refresh_token));
    await lenient.proxy.settled();
    const retried = await lenient.refresh(again.refresh_token);
    expect(retried.status, retried.raw).toBe(200);
    expect((await lenient.refresh(retried.body['refresh_token'] as string)).status).toBe(200);
  });
});

describe('a code exchange when a dependency fails: the code stays unused and the retry succeeds', () => {
  const cases: Array<[string, (f: Fn) => void]> = [
    ['KMS Sign throttled', (f) => f.kms.failSign({ mode: 'throttle', times: 2 })],
    ['KMS Sign timing out', (f) => f.kms.failSign({ mode: 'timeout', times: 2 })],
    ['the code read throttled', (f) => f.proxy.fail({ operation: 'GetItem', mode: 'throttle', times: 2, match: touchesPartition('CODE#') })],
    ['the redeeming transaction throttled', (f) => f.proxy.fail({ operation: 'TransactWriteItems', mode: 'throttle', times: 2 })],
    ['the redeeming transaction hanging', (f) => f.proxy.fail({ operation: 'TransactWriteItems', mode: 'hang', times: 2 })],
  ];
  it.each(cases)('%s', async (_, fail) => {
    const f = (fn = await faultyTokenFunction());
    const { code, form } = await f.newCode();
    fail(f);
    expectUnavailable(await f.post(form));
    const stored = await f.codes.get((await import('../../functions/oauth/secrets.ts')).hashSecret(code));
    expect(stored?.redeemedAt).toBeUndefined();
    const retried = await f.post(form);
    expect(retried.status, retried.raw).toBe(200);
    expect((await f.refresh(retried.body['refresh_token'] as string)).status).toBe(200);
  });

  it('the SDK retries a transaction that had committed: the exchange succeeds once, and the family works', async () => {
    const f = (fn = await faultyTokenFunction());
    const { form } = await f.newCode();
    f.proxy.fail({ operation: 'TransactWriteItems', mode: 'commit_then_hang', times: 1 });
    const answer = await f.post(form);
    expect(answer.status, answer.raw).toBe(200);
    expect((await f.refresh(answer.body['refresh_token'] as string)).status).toBe(200);
  });
});

describe('client credentials and lifetimes when a dependency fails', () => {
  it('the client record cannot be read: 503, then 200', async () => {
    const f = (fn = await faultyTokenFunction());
    f.proxy.fail({ operation: 'GetItem', mode: 'throttle', times: 2 });
    expectUnavailable(await f.post({ grant_type: 'client_credentials', scope: 'read' }));
    expect((await f.post({ grant_type: 'client_credentials', scope: 'read' })).status).toBe(200);
  });

  it('a cold function that cannot read SSM (throttled, then access denied) answers 503 with Retry-After, counts it, and does not retry per request', async () => {
    const f = (fn = await faultyTokenFunction());
    f.ssm.fail({ mode: 'throttle' });
    const first = await f.post({ grant_type: 'client_credentials', scope: 'read' });
    expectUnavailable(first);
    const reads = f.ssm.reads.length;
    for (let index = 0; index < 5; index += 1) expectUnavailable(await f.post({ grant_type: 'client_credentials', scope: 'read' }));
    expect(f.ssm.reads.length, 'no SSM call per request while backing off').toBe(reads);
    const metrics = records(f.lines).filter((line) => line['ConfigurationLoadFailed'] !== undefined);
    expect(metrics.length).toBeGreaterThanOrEqual(1);
    expect(logged(f, 'configuration_load_failed')).toHaveLength(1);
    f.ssm.clearFaults();
    f.ssm.fail({ mode: 'access_denied' });
    await new Promise((resolve) => setTimeout(resolve, Number(first.headers['Retry-After']) * 1000 + 50));
    expectUnavailable(await f.post({ grant_type: 'client_credentials', scope: 'read' }));
  });

  it('a warm function keeps serving its last lifetimes while SSM is throttled', async () => {
    const f = (fn = await faultyTokenFunction());
    expect((await f.post({ grant_type: 'client_credentials', scope: 'read' })).status).toBe(200);
    f.ssm.fail({ mode: 'throttle' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let index = 0; index < 3; index += 1) expect((await f.post({ grant_type: 'client_credentials', scope: 'read' })).status).toBe(200);
  });
});
