import {
  ConditionalCheckFailedException,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ThrottlingException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DependencyError } from '../../functions/adapters/aws-errors.ts';
import { TemporarilyUnavailable } from '../../functions/oauth/errors.ts';
import { worstCaseMs } from '../../functions/runtime/aws-clients.ts';
import { freshTable, localDynamoClient } from './dynamodb.ts';
import {
  partitionKeys,
  QUICK_DYNAMODB_BUDGET,
  startDynamoDbFaultProxy,
  touchesPartition,
  type DynamoDbFaultProxy,
  type DynamoDbRequestBody,
} from './dynamodb-faults.ts';

/** Event-loop and socket set-up on a busy machine, over the budget's own worst case. */
const SLACK_MS = 500;

let proxy: DynamoDbFaultProxy;
let direct: DynamoDBClient;
let table: string;

beforeAll(async () => {
  direct = localDynamoClient();
  ({ tableName: table } = await freshTable(direct));
  proxy = await startDynamoDbFaultProxy(inject('dynamoDbEndpoint'));
});

afterAll(async () => {
  await proxy.close();
  direct.destroy();
});

afterEach(() => {
  proxy.clear();
});

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: pk.slice(0, pk.indexOf('#')) } });
const put = (pk: string, extra: { condition?: string } = {}) =>
  new PutItemCommand({ TableName: table, Item: { ...key(pk), value: { S: 'v1' } }, ...(extra.condition && { ConditionExpression: extra.condition }) });
const update = (pk: string) =>
  new UpdateItemCommand({ TableName: table, Key: key(pk), UpdateExpression: 'SET #value = :value', ExpressionAttributeNames: { '#value': 'value' }, ExpressionAttributeValues: { ':value': { S: 'v2' } } });
const valueOf = async (pk: string) => (await direct.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }))).Item?.['value']?.S;
const family = () => `FAMILY#${randomUUID()}`;

/** Where the proxy's records start for this test: the proxy is shared by the file. */
const since = (start: number) => proxy.requests.slice(start);

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('the call succeeded');
}

/** The SDK error behind a 503, checked to be one for DynamoDB. */
function sdkCause(error: unknown): unknown {
  expect(error).toBeInstanceOf(TemporarilyUnavailable);
  expect(error).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
  const dependency = (error as TemporarilyUnavailable).cause;
  expect(dependency).toBeInstanceOf(DependencyError);
  expect(dependency).toMatchObject({ service: 'DynamoDB' });
  return (dependency as DependencyError).cause;
}

describe('the DynamoDB fault proxy', () => {
  it('passes requests through to DynamoDB Local and records them', async () => {
    const start = proxy.requests.length;
    const client = proxy.client();
    const pk = family();

    await client.send(put(pk));
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: key(pk) }));

    expect(Item?.['value']).toEqual({ S: 'v1' });
    expect(since(start)).toMatchObject([
      { operation: 'PutItem', outcome: 'forwarded', reachedDynamoDb: true, status: 200, error: undefined, body: { TableName: table, Item: { pk: { S: pk } } } },
      { operation: 'GetItem', outcome: 'forwarded', reachedDynamoDb: true, status: 200 },
    ]);
  });

  it('throttles twice: the client gives up after exactly 2 requests with a 503 caused by ThrottlingException, and nothing was written', async () => {
    const start = proxy.requests.length;
    const pk = family();
    await direct.send(put(pk));
    const cue = proxy.fail({ operation: 'UpdateItem', mode: 'throttle', times: 2 });

    const { error } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(update(pk)));

    const cause = sdkCause(error);
    expect(cause).toBeInstanceOf(ThrottlingException);
    expect(cause).toMatchObject({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: { httpStatusCode: 400, attempts: 2 } });
    expect(cue).toMatchObject({ hits: 2, remaining: 0 });
    expect(since(start)).toMatchObject([
      { operation: 'UpdateItem', outcome: 'throttle', reachedDynamoDb: false },
      { operation: 'UpdateItem', outcome: 'throttle', reachedDynamoDb: false },
    ]);
    expect(await valueOf(pk)).toBe('v1');
  });

  it('answers ProvisionedThroughputExceededException too, as a provisioned table would', async () => {
    proxy.fail({ operation: 'PutItem', mode: 'throughput_exceeded' });
    const { error } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(put(family())));
    expect(sdkCause(error)).toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it("throttles once: the SDK's retry gets through and the write takes effect", async () => {
    const start = proxy.requests.length;
    const pk = family();
    await direct.send(put(pk));
    proxy.fail({ operation: 'DynamoDB_20120810.UpdateItem', mode: 'throttle', times: 1 });

    await proxy.client().send(update(pk));

    expect(since(start).map((request) => request.outcome)).toEqual(['throttle', 'forwarded']);
    expect(await valueOf(pk)).toBe('v2');
  });

  it('hangs: the client times out every attempt and answers 503 within worstCaseMs', async () => {
    const start = proxy.requests.length;
    proxy.fail({ operation: 'GetItem', mode: 'hang' });

    const { error, elapsedMs } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(new GetItemCommand({ TableName: table, Key: key(family()) })));

    expect(sdkCause(error)).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(since(start)).toMatchObject([{ outcome: 'hang' }, { outcome: 'hang' }]);
    expect(elapsedMs).toBeGreaterThanOrEqual(QUICK_DYNAMODB_BUDGET.maxAttempts * QUICK_DYNAMODB_BUDGET.requestTimeoutMs - 20);
    expect(elapsedMs).toBeLessThan(worstCaseMs(QUICK_DYNAMODB_BUDGET) + SLACK_MS);
  });

  it('answers 500 InternalServerError: a 503 once the retry also fails', async () => {
    proxy.fail({ operation: 'GetItem', mode: 'server_error' });
    const { error } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(new GetItemCommand({ TableName: table, Key: key(family()) })));
    const cause = sdkCause(error);
    expect(cause).toBeInstanceOf(InternalServerError);
    expect(cause).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
  });

  it('resets the connection: a 503 caused by the socket error, nothing written', async () => {
    const start = proxy.requests.length;
    const pk = family();
    proxy.fail({ operation: 'PutItem', mode: 'reset' });

    const { error } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(put(pk)));

    expect(sdkCause(error)).toMatchObject({ code: 'ECONNRESET' });
    expect(since(start)).toMatchObject([{ outcome: 'reset', reachedDynamoDb: false }, { outcome: 'reset' }]);
    expect(await valueOf(pk)).toBeUndefined();
  });

  it('commits then hangs: the item is written, yet the client call fails', async () => {
    const start = proxy.requests.length;
    const pk = family();
    proxy.fail({ operation: 'PutItem', mode: 'commit_then_hang', times: 2 });

    const { error } = await rejection(proxy.client(QUICK_DYNAMODB_BUDGET).send(put(pk)));
    await proxy.settled();

    expect(sdkCause(error)).toMatchObject({ name: 'TimeoutError' });
    expect(since(start)).toMatchObject([
      { outcome: 'commit_then_hang', reachedDynamoDb: true, status: 200 },
      { outcome: 'commit_then_hang', reachedDynamoDb: true, status: 200 },
    ]);
    expect(await valueOf(pk)).toBe('v1');
  });

  it("commits then hangs once: the SDK's retry sends the conditional write again, which fails on the write the first attempt made", async () => {
    const pk = family();
    proxy.fail({ operation: 'PutItem', mode: 'commit_then_hang', times: 1 });
    // A request timeout DynamoDB Local never comes near, so the first write lands before the retry.
    const client = proxy.client({ ...QUICK_DYNAMODB_BUDGET, requestTimeoutMs: 1000 });

    const { error } = await rejection(client.send(put(pk, { condition: 'attribute_not_exists(pk)' })));

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(await valueOf(pk)).toBe('v1');
  });

  it('passes a real ConditionalCheckFailedException through unchanged, not as a 503', async () => {
    const start = proxy.requests.length;
    const pk = family();
    await direct.send(put(pk));

    const { error } = await rejection(proxy.client().send(put(pk, { condition: 'attribute_not_exists(pk)' })));

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error).not.toBeInstanceOf(TemporarilyUnavailable);
    expect(since(start)).toMatchObject([{ operation: 'PutItem', outcome: 'forwarded', status: 400, error: 'ConditionalCheckFailedException' }]);
  });

  it('selects by the body: only the FAMILY# partition is throttled', async () => {
    const start = proxy.requests.length;
    const client = proxy.client();
    proxy.fail({ operation: ['PutItem', 'UpdateItem'], mode: 'throttle', match: touchesPartition('FAMILY#') });

    await client.send(put(`CLIENT#${randomUUID()}`));
    const { error } = await rejection(client.send(put(family())));

    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect(since(start).map((request) => request.outcome)).toEqual(['forwarded', 'throttle', 'throttle']);
  });

  it('clear withdraws the cues and drops held requests: a waiting client retries and gets through', async () => {
    const start = proxy.requests.length;
    const pk = family();
    await direct.send(put(pk));
    proxy.fail({ operation: 'UpdateItem', mode: 'hang' });

    const call = proxy.client().send(update(pk));
    while (since(start).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    proxy.clear();
    await call;

    expect(since(start).map((request) => request.outcome)).toEqual(['hang', 'forwarded']);
    expect(await valueOf(pk)).toBe('v2');
  });

  it('a cue withdrawn by its own clear stops striking; the others stay', async () => {
    const throttle = proxy.fail({ operation: 'GetItem', mode: 'throttle' });
    const other = proxy.fail({ operation: 'Query', mode: 'throttle' });
    throttle.clear();

    await proxy.client().send(new GetItemCommand({ TableName: table, Key: key(family()) }));
    const { error } = await rejection(
      proxy.client(QUICK_DYNAMODB_BUDGET).send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: family() } } })),
    );

    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect(throttle.hits).toBe(0);
    expect(other).toMatchObject({ hits: 2, remaining: undefined });
  });

  it('refuses a cue it cannot apply with a TypeError', () => {
    expect(() => proxy.fail({ operation: 'GetItem', mode: 'throttle', times: 0 })).toThrow(TypeError);
    expect(() => proxy.fail({ operation: 'GetItem', mode: 'throttle', times: 1.5 })).toThrow(TypeError);
    expect(() => proxy.fail({ operation: 'GetItem', mode: 'explode' as 'throttle' })).toThrow(TypeError);
    expect(() => proxy.fail({ operation: 'get item' as 'GetItem', mode: 'throttle' })).toThrow(TypeError);
  });

  it('closes while holding a request', async () => {
    const own = await startDynamoDbFaultProxy(inject('dynamoDbEndpoint'));
    own.fail({ mode: 'hang' });
    const call = rejection(own.client().send(new GetItemCommand({ TableName: table, Key: key(family()) })));
    while (own.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await own.close();
    await call;
  });
});

describe('partitionKeys', () => {
  const pk = (value: string) => ({ pk: { S: value }, sk: { S: 'X' } });

  it('reads the key or item of a single-item request', () => {
    expect(partitionKeys({ Key: pk('FAMILY#1') })).toEqual(['FAMILY#1']);
    expect(partitionKeys({ Item: pk('CODE#2') })).toEqual(['CODE#2']);
  });

  it('reads every item of a transaction and of a batch', () => {
    const body: DynamoDbRequestBody = {
      TransactItems: [{ Put: { Item: pk('USERCODE#1') } }, { Update: { Key: pk('DEVICE#2') } }, { ConditionCheck: { Key: pk('CLIENT#3') } }],
    };
    expect(partitionKeys(body)).toEqual(['USERCODE#1', 'DEVICE#2', 'CLIENT#3']);
    expect(partitionKeys({ RequestItems: { t: [{ PutRequest: { Item: pk('A#1') } }, { DeleteRequest: { Key: pk('B#2') } }] } })).toEqual(['A#1', 'B#2']);
    expect(partitionKeys({ RequestItems: { t: { Keys: [pk('C#3')] } } })).toEqual(['C#3']);
  });

  it("reads a query's key condition, by name or through an attribute name", () => {
    expect(
      partitionKeys({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': { S: 'FAMILY#1' }, ':prefix': { S: 'ROT#' } } }),
    ).toEqual(['FAMILY#1']);
    expect(partitionKeys({ KeyConditionExpression: '#p = :v', ExpressionAttributeNames: { '#p': 'pk' }, ExpressionAttributeValues: { ':v': { S: 'RATE#k' } } })).toEqual(['RATE#k']);
  });

  it('finds the transaction a cue on TransactWriteItems selects', async () => {
    const start = proxy.requests.length;
    proxy.fail({ operation: 'TransactWriteItems', mode: 'throttle', times: 2, match: touchesPartition('DEVICE#') });
    const transaction = new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: table, Item: { ...key(`DEVICE#${randomUUID()}`) } } }] });

    await expect(proxy.client(QUICK_DYNAMODB_BUDGET).send(transaction)).rejects.toBeInstanceOf(TemporarilyUnavailable);
    expect(since(start)).toMatchObject([{ operation: 'TransactWriteItems', outcome: 'throttle' }, { outcome: 'throttle' }]);
  });
});
