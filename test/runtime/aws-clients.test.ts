import { DynamoDBClient, GetItemCommand, ResourceNotFoundException, ThrottlingException as DynamoDbThrottlingException } from '@aws-sdk/client-dynamodb';
import { KMSServiceException, NotFoundException, SignCommand } from '@aws-sdk/client-kms';
import { AccessDeniedException, GetParametersByPathCommand, ThrottlingException as SsmThrottlingException } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DependencyError } from '../../functions/adapters/aws-errors.ts';
import { TemporarilyUnavailable } from '../../functions/oauth/errors.ts';
import {
  AWS_CALL_BUDGETS,
  SDK_LOGGER_MIDDLEWARE,
  worstCaseMs,
  type CallBudget,
} from '../../functions/runtime/aws-clients.ts';
import { eventBridgeClient } from '../../functions/runtime/eventbridge-client.ts';
import { dynamoDbClient } from '../../functions/runtime/dynamodb-client.ts';
import { kmsClient } from '../../functions/runtime/kms-client.ts';
import { ssmClient } from '../../functions/runtime/ssm-client.ts';
import { startAwsErrorEndpoint, startBlackhole, type AwsJsonError } from '../support/aws-endpoints.ts';

/** Small enough that a blackholed call fails in well under a second. */
const QUICK: CallBudget = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };
/** Event-loop and socket set-up on a busy machine, over the budget's own worst case. */
const SLACK_MS = 500;

type Service = 'DynamoDB' | 'KMS' | 'SSM';

/** One call of each service through the real client factory, as Lifespan makes it. */
function call(service: Service, endpoint: string, budget: CallBudget = QUICK): () => Promise<unknown> {
  const override = { endpoint };
  switch (service) {
    case 'DynamoDB': {
      const client = dynamoDbClient(override, budget);
      return () => client.send(new GetItemCommand({ TableName: 'lifespan', Key: { pk: { S: 'FAMILY#f' }, sk: { S: 'FAMILY' } } })).finally(() => client.destroy());
    }
    case 'KMS': {
      const client = kmsClient(override, budget);
      return () =>
        client
          .send(new SignCommand({ KeyId: 'alias/lifespan', Message: new Uint8Array(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))
          .finally(() => client.destroy());
    }
    case 'SSM': {
      const client = ssmClient(override, budget);
      return () => client.send(new GetParametersByPathCommand({ Path: '/lifespan/test/', Recursive: true })).finally(() => client.destroy());
    }
  }
}

/** Runs `attempt`, which must reject, and returns the error and how long it took. */
async function failure(attempt: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await attempt();
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('the call succeeded');
}

function expectUnavailable(error: unknown, service: Service): unknown {
  expect(error).toBeInstanceOf(TemporarilyUnavailable);
  expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } });
  const cause = (error as TemporarilyUnavailable).cause;
  expect(cause).toBeInstanceOf(DependencyError);
  expect((cause as DependencyError).service).toBe(service);
  return (cause as DependencyError).cause;
}

const services: Service[] = ['DynamoDB', 'KMS', 'SSM'];

describe('the AWS clients against an endpoint that never answers', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it.each(services)('%s: 503 after exactly maxAttempts requests, within the worst case', async (service) => {
    const hole = await startBlackhole();
    closing.push(() => hole.close());

    const { error, elapsedMs } = await failure(call(service, hole.endpoint));

    const sdkError = expectUnavailable(error, service);
    expect(sdkError).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(hole.connections).toBe(QUICK.maxAttempts);
    expect(hole.bytesReceived).toBeGreaterThan(0);
    expect(elapsedMs).toBeGreaterThanOrEqual(QUICK.maxAttempts * QUICK.requestTimeoutMs - 20);
    expect(elapsedMs).toBeLessThan(worstCaseMs(QUICK) + SLACK_MS);
  });

  it('KMS with its production budget fails within worstCaseMs(AWS_CALL_BUDGETS.kms) + 1 s', async () => {
    const hole = await startBlackhole();
    closing.push(() => hole.close());
    const budget = AWS_CALL_BUDGETS.kms;

    const { error, elapsedMs } = await failure(call('KMS', hole.endpoint, budget));

    expectUnavailable(error, 'KMS');
    expect(hole.connections).toBe(budget.maxAttempts);
    expect(elapsedMs).toBeGreaterThanOrEqual(budget.maxAttempts * budget.requestTimeoutMs - 20);
    expect(elapsedMs).toBeLessThan(worstCaseMs(budget) + 1000);
  });
});

const throttling: Record<Service, AwsJsonError> = {
  DynamoDB: { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  KMS: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
  SSM: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
};

describe('the AWS clients against a throttling endpoint', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it.each(services)('%s: retried once, then 503 with the SDK exception as the cause', async (service) => {
    const endpoint = await startAwsErrorEndpoint(throttling[service]);
    closing.push(() => endpoint.close());

    const { error } = await failure(call(service, endpoint.endpoint));

    const sdkError = expectUnavailable(error, service);
    expect(endpoint.requests).toHaveLength(2);
    expect(sdkError).toMatchObject({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 2 } });
    const expectedClass = { DynamoDB: DynamoDbThrottlingException, KMS: KMSServiceException, SSM: SsmThrottlingException }[service];
    expect(sdkError).toBeInstanceOf(expectedClass);
  });

  it('stays within worstCaseMs when each throttle answer comes just inside the request timeout and the backoff is the largest', async () => {
    // The SDK's first throttling backoff is a random share of 1 s: 0.999 is its longest.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const budget: CallBudget = { connectionTimeoutMs: 200, requestTimeoutMs: 400, maxAttempts: 2 };
    const endpoint = await startAwsErrorEndpoint(throttling.DynamoDB, { delayMs: budget.requestTimeoutMs - 100 });
    closing.push(() => endpoint.close());

    const { error, elapsedMs } = await failure(call('DynamoDB', endpoint.endpoint, budget));

    expectUnavailable(error, 'DynamoDB');
    expect(endpoint.requests).toHaveLength(2);
    expect(elapsedMs).toBeGreaterThan(2 * (budget.requestTimeoutMs - 100) + 900);
    expect(elapsedMs).toBeLessThanOrEqual(worstCaseMs(budget));
  });
});

describe('the AWS clients against an error that is not transient', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it.each([
    ['DynamoDB', { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' }, ResourceNotFoundException],
    ['KMS', { status: 400, type: 'NotFoundException', message: "Key 'alias/lifespan' does not exist" }, NotFoundException],
    ['SSM', { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: ssm:GetParametersByPath' }, AccessDeniedException],
  ] as const)('%s: passes it through unchanged, after one request', async (service, answer, expectedClass) => {
    const endpoint = await startAwsErrorEndpoint(answer);
    closing.push(() => endpoint.close());

    const { error } = await failure(call(service, endpoint.endpoint));

    expect(error).toBeInstanceOf(expectedClass);
    expect(error).not.toBeInstanceOf(TemporarilyUnavailable);
    expect(error).toMatchObject({ message: answer.message, $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(endpoint.requests).toHaveLength(1);
  });
});

describe('the AWS clients on every call', () => {
  it.each([
    ['DynamoDB', () => dynamoDbClient({ endpoint: 'http://127.0.0.1:9' })],
    ['KMS', () => kmsClient({ endpoint: 'http://127.0.0.1:9' })],
    ['SSM', () => ssmClient({ endpoint: 'http://127.0.0.1:9' })],
    ['EventBridge', () => eventBridgeClient({ endpoint: 'http://127.0.0.1:9' })],
  ] as const)('%s: no SDK logging step (it copies every input and output for a logger nobody set), and a stack resolved once per command', (_service, make) => {
    const client = make();
    const steps = client.middlewareStack.identify();

    expect(steps.some((step) => step.startsWith(`${SDK_LOGGER_MIDDLEWARE} `))).toBe(false);
    // The step exists in a bare client, so the check above can fail.
    expect(new DynamoDBClient({ region: 'local' }).middlewareStack.identify().some((step) => step.startsWith(`${SDK_LOGGER_MIDDLEWARE} `))).toBe(true);
    expect(client.config.cacheMiddleware).toBe(true);
    client.destroy();
  });
});
