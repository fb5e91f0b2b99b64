import {
  ConditionalCheckFailedException,
  InternalServerError as DynamoDbInternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException as DynamoDbThrottlingException,
  TransactionCanceledException,
  TransactionInProgressException,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  DependencyTimeoutException,
  InvalidKeyUsageException,
  KeyUnavailableException,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import {
  AccessDeniedException,
  InternalServerError as SsmInternalServerError,
  ParameterNotFound,
  ThrottlingException as SsmThrottlingException,
} from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { asUnavailable, DependencyError, isTransientAwsError } from '../../functions/adapters/aws-errors.ts';
import { TemporarilyUnavailable } from '../../functions/oauth/errors.ts';

const client = { $metadata: { httpStatusCode: 400, requestId: 'request-1' }, message: 'refused' };
const server = { $metadata: { httpStatusCode: 500, requestId: 'request-1' }, message: 'failed' };
/** SSM's model names its message member `Message`; the deserializer fills both. */
const ssmClient = { ...client, Message: client.message };
const ssmServer = { ...server, Message: server.message };

/** The SDK's errors as its deserializers and @smithy/node-http-handler build them. */
const transient: Array<[string, unknown]> = [
  ['DynamoDB ThrottlingException', new DynamoDbThrottlingException(client)],
  ['DynamoDB ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException(client)],
  ['DynamoDB RequestLimitExceeded', new RequestLimitExceeded(client)],
  ['DynamoDB InternalServerError', new DynamoDbInternalServerError(server)],
  ['DynamoDB TransactionInProgressException', new TransactionInProgressException(client)],
  ['KMS ThrottlingException (unmodelled: the base exception, named)', new KMSServiceException({ name: 'ThrottlingException', $fault: 'client', ...client })],
  ['KMS KMSInternalException', new KMSInternalException(server)],
  ['KMS DependencyTimeoutException', new DependencyTimeoutException(server)],
  ['KMS KeyUnavailableException', new KeyUnavailableException(server)],
  ['SSM ThrottlingException', new SsmThrottlingException(ssmClient)],
  ['SSM InternalServerError', new SsmInternalServerError(ssmServer)],
  ['an unmodelled 503 with an empty body', new KMSServiceException({ name: 'Unknown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'UnknownError' })],
  ['an unmodelled 429', new KMSServiceException({ name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 429 }, message: 'UnknownError' })],
  ['a 502 whose HTML body did not parse', Object.assign(new SyntaxError('Unexpected token'), { $metadata: { httpStatusCode: 502 } })],
  [
    'the request timeout',
    Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 1000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
  ],
  ['the connection timeout', Object.assign(new Error('the request socket did not establish a connection'), { name: 'TimeoutError' })],
  ['a reset socket', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' })],
  ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
  ['a transient error as the cause', new Error('wrapped', { cause: new DynamoDbThrottlingException(client) })],
];

const permanent: Array<[string, unknown]> = [
  ['DynamoDB ConditionalCheckFailedException', new ConditionalCheckFailedException(client)],
  ['DynamoDB ResourceNotFoundException', new ResourceNotFoundException(client)],
  ['KMS NotFoundException', new NotFoundException(client)],
  ['KMS InvalidKeyUsageException', new InvalidKeyUsageException(client)],
  ['KMS ValidationException', new KMSServiceException({ name: 'ValidationException', $fault: 'client', ...client })],
  ['SSM AccessDeniedException', new AccessDeniedException(ssmClient)],
  ['SSM ParameterNotFound', new ParameterNotFound(ssmClient)],
  ['an abort', Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
  ['a TypeError', new TypeError('x is not a function')],
  ['a string', 'ThrottlingException'],
  ['undefined', undefined],
];

function canceled(...codes: string[]): TransactionCanceledException {
  const CancellationReasons: CancellationReason[] = codes.map((Code) => ({ Code }));
  return new TransactionCanceledException({ ...client, CancellationReasons });
}

describe('isTransientAwsError', () => {
  it.each(transient)('%s is transient', (_, error) => {
    expect(isTransientAwsError(error)).toBe(true);
  });

  it.each(permanent)('%s is not', (_, error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });

  it('a transaction canceled because an item was throttled or in conflict is transient: nothing was written', () => {
    expect(isTransientAwsError(canceled('None', 'ThrottlingError'))).toBe(true);
    expect(isTransientAwsError(canceled('ProvisionedThroughputExceeded', 'None'))).toBe(true);
    expect(isTransientAwsError(canceled('TransactionConflict'))).toBe(true);
  });

  it('a transaction canceled by a failed condition or a bad item is not, even if another item was throttled', () => {
    expect(isTransientAwsError(canceled('ConditionalCheckFailed', 'None'))).toBe(false);
    expect(isTransientAwsError(canceled('ConditionalCheckFailed', 'ThrottlingError'))).toBe(false);
    expect(isTransientAwsError(canceled('ValidationError'))).toBe(false);
    expect(isTransientAwsError(canceled('None'))).toBe(false);
    expect(isTransientAwsError(new TransactionCanceledException(client))).toBe(false);
  });

  it('stops at an error that is its own cause', () => {
    const error = new Error('loop');
    Object.assign(error, { cause: error });
    expect(isTransientAwsError(error)).toBe(false);
  });
});

describe('asUnavailable', () => {
  it('turns a transient error into 503 temporarily_unavailable with Retry-After, the SDK error kept as the cause', () => {
    const sdkError = new DynamoDbThrottlingException(client);
    const error = asUnavailable(sdkError, 'DynamoDB');
    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' }, expose: true });
    const cause = (error as TemporarilyUnavailable).cause;
    expect(cause).toBeInstanceOf(DependencyError);
    expect(cause).toMatchObject({ service: 'DynamoDB', message: 'DynamoDB unavailable (ThrottlingException: refused)' });
    expect((cause as DependencyError).cause).toBe(sdkError);
  });

  it('returns anything else unchanged', () => {
    const error = new ConditionalCheckFailedException(client);
    expect(asUnavailable(error, 'DynamoDB')).toBe(error);
  });
});
