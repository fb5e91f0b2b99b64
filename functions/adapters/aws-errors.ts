import { TemporarilyUnavailable } from '../oauth/errors.ts';

/** Error codes AWS services answer when a call may succeed if sent again later. */
const TRANSIENT_CODES = new Set([
  // throttling, every service's spelling
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'BandwidthLimitExceeded',
  'SlowDown',
  'TransactionInProgressException',
  // the service itself failed or timed out
  'InternalServerError',
  'InternalFailure',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'RequestTimeout',
  // an item held by an in-flight transaction (DynamoDB): the same request succeeds a moment later
  'TransactionConflictException',
  'RequestTimeoutException',
  // the SDK's own request and socket timeouts (@smithy/node-http-handler)
  'TimeoutError',
]);

/**
 * Why DynamoDB canceled a transaction when no item was at fault: throttled, or held by another
 * transaction. Nothing was written, so the same transaction may simply be sent again.
 */
const TRANSIENT_CANCELLATIONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'TransactionConflict']);
const UNCONCERNED = 'None';

/** Node's socket errors: the endpoint could not be reached or dropped the connection. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether an error from an AWS SDK call means "the dependency is unavailable right now" rather
 * than "this request is wrong" (a failed condition, a missing key, a denied permission): what
 * the SDK's retries were for, once they are spent. Checked by code, status and socket error.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, $metadata, $retryable } = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: unknown;
  };
  if (typeof name === 'string' && TRANSIENT_CODES.has(name)) return true;
  if (name === 'TransactionCanceledException' && isTransientCancellation(error)) return true;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || TRANSIENT_CODES.has(code))) return true;
  if ($retryable) return true;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isTransientAwsError(cause);
}

/**
 * DynamoDB answers a throttled `TransactWriteItems` with `TransactionCanceledException` (HTTP 400,
 * never retried by the SDK) and the reason per item: transient when some item was throttled or in
 * conflict and none failed its condition or validation.
 */
function isTransientCancellation(error: object): boolean {
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  if (!Array.isArray(reasons)) return false;
  const codes = reasons.map((reason: unknown) => (typeof reason === 'object' && reason !== null ? (reason as { Code?: unknown }).Code : undefined));
  return (
    codes.some((code) => typeof code === 'string' && TRANSIENT_CANCELLATIONS.has(code)) &&
    codes.every((code) => code === undefined || code === UNCONCERNED || (typeof code === 'string' && TRANSIENT_CANCELLATIONS.has(code)))
  );
}

/** The cause of a 503, for the log: which dependency failed, and the SDK's error. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  readonly service: string;

  constructor(service: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`${service} unavailable (${detail})`, { cause });
    this.service = service;
  }
}

/** How long a client is asked to wait before sending the request again. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * The error a request gets when `service` was unavailable: 503 `temporarily_unavailable` with
 * `Retry-After`, the SDK error kept as `cause` for the log. Anything else is returned unchanged.
 */
export function asUnavailable(error: unknown, service: string): unknown {
  if (!isTransientAwsError(error)) return error;
  return new TemporarilyUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS, undefined, { cause: new DependencyError(service, error) });
}
