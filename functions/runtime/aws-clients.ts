import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { asUnavailable } from '../adapters/aws-errors.ts';

/**
 * How long one AWS call may take. Each client's factory is a module of its own
 * (dynamodb-client.ts, kms-client.ts, ssm-client.ts), so a function bundles only the SDK clients it uses.
 * The SDK's defaults wait for a socket that never answers until
 * the Lambda itself times out (a cold token function held requests 10 s, then answered 500):
 * every client here has a connection timeout, a request timeout that throws, and one retry.
 */
export interface CallBudget {
  /** TCP (and TLS) connection set-up. */
  readonly connectionTimeoutMs: number;
  /** The whole attempt, connecting included, to the last byte of the answer; throws `TimeoutError`. */
  readonly requestTimeoutMs: number;
  /** Attempts in all, the first included (the SDK's standard retry strategy, with jittered backoff). */
  readonly maxAttempts: number;
}

/**
 * The standard retry strategy's largest first backoff: after throttling, a random share of 1 s
 * (@smithy/core's `Retry.throttlingDelay()`; other errors wait at most 25 ms for DynamoDB, 50 ms
 * for KMS and SSM). An answer with `Retry-After` or `x-amz-retry-after`, which these services do
 * not normally send, would stretch it by up to 5 s more.
 */
const MAX_BACKOFF_MS = 1000;

/**
 * DynamoDB answers in single-digit milliseconds; KMS `Sign` and SSM `GetParametersByPath` in
 * tens. Each budget leaves two orders of magnitude of headroom over the typical latency and
 * still fails a brownout within a few seconds.
 */
export const AWS_CALL_BUDGETS = {
  dynamodb: { connectionTimeoutMs: 500, requestTimeoutMs: 1000, maxAttempts: 2 },
  kms: { connectionTimeoutMs: 500, requestTimeoutMs: 1500, maxAttempts: 2 },
  ssm: { connectionTimeoutMs: 500, requestTimeoutMs: 1500, maxAttempts: 2 },
  /** The events function only (off the request path): retried from the stream when it fails. */
  eventbridge: { connectionTimeoutMs: 500, requestTimeoutMs: 2000, maxAttempts: 2 },
} as const satisfies Record<string, CallBudget>;

/** DynamoDB Local on a busy test machine can pause for a JVM collection: a wider budget. */
export const LOCAL_DYNAMODB_BUDGET: CallBudget = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 };

/** The longest one call can hold a request: every attempt timing out, plus the backoff between them. */
export function worstCaseMs(budget: CallBudget): number {
  return budget.maxAttempts * budget.requestTimeoutMs + (budget.maxAttempts - 1) * MAX_BACKOFF_MS;
}

/**
 * The longest chain of calls one request makes in series, each at its worst: a cold refresh
 * reads the lifetimes from SSM, the client and the family from DynamoDB, signs with KMS (the
 * markers are read beside the signature, and take less than it), then writes the family. The
 * functions' timeout (infra/constructs/handler-function.ts) stays above it, so a slow dependency
 * is always answered by Lifespan (503) and never by Lambda's timeout.
 */
export const REQUEST_WORST_CASE_MS =
  worstCaseMs(AWS_CALL_BUDGETS.ssm) + 3 * worstCaseMs(AWS_CALL_BUDGETS.dynamodb) + worstCaseMs(AWS_CALL_BUDGETS.kms);

/** Overrides for a client that is not AWS itself: DynamoDB Local, or a test's endpoint. */
export interface EndpointOverride {
  readonly endpoint: string;
  readonly region?: string;
}

/** The constructor options of an SDK client with this budget (and, for a local endpoint, its address and dummy credentials). */
export function clientConfig(budget: CallBudget, override: EndpointOverride | undefined) {
  return {
    // The stack is resolved once per command class instead of on every send (nothing here changes
    // a client's middleware after its first call). The SDK documents this as `cacheMiddleware`.
    cacheMiddleware: true,
    maxAttempts: budget.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: budget.connectionTimeoutMs,
      requestTimeout: budget.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(override && {
      endpoint: override.endpoint,
      region: override.region ?? 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  };
}

/**
 * Outermost step, so it sees what is left once the SDK's retries are spent: a throttled, failing
 * or timed-out call becomes 503 `temporarily_unavailable`; every other error passes unchanged.
 */
export function unavailableAsServiceError<Input extends object, Output extends object>(service: string): InitializeMiddleware<Input, Output> {
  return (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      throw asUnavailable(error, service);
    }
  };
}

/** Where {@link unavailableAsServiceError} goes in a client's middleware stack. */
export const UNAVAILABLE_MIDDLEWARE = { step: 'initialize', name: 'lifespanUnavailable' } as const;

/** The SDK's logging step: no client here has a logger, yet it filters every input and output for one. */
export const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';

/**
 * A client as every function uses it: without the SDK's logging step (it builds a redacted copy
 * of each call's input and output by walking the operation's schema, then hands it to the no-op
 * logger: about a twentieth of a refresh's CPU on DynamoDB's three calls), and, where `service`
 * is given, 503 once a call stays unavailable.
 */
export function prepared<Client extends { middlewareStack: MiddlewareStack<any, any> }>(client: Client, service?: string): Client {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  if (service !== undefined) client.middlewareStack.add(unavailableAsServiceError(service), UNAVAILABLE_MIDDLEWARE);
  return client;
}

