import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { TABLE_DEFINITION } from '../../functions/adapters/dynamodb/table-definition.ts';
import { LOCAL_DYNAMODB_BUDGET, type CallBudget } from '../../functions/runtime/aws-clients.ts';
import { dynamoDbClient } from '../../functions/runtime/dynamodb-client.ts';
import { listen, readBody, writeAwsJsonError, type AwsJsonError } from './aws-endpoints.ts';
import { CueList, type FaultCue } from './fault-cues.ts';

export type { FaultCue } from './fault-cues.ts';

/**
 * What the proxy does to a request a cue selects:
 * - `throttle`: 400 `ThrottlingException` (on-demand tables), as DynamoDB sends it; not forwarded.
 * - `throughput_exceeded`: 400 `ProvisionedThroughputExceededException` (provisioned tables).
 * - `server_error`: 500 `InternalServerError`.
 * - `hang`: reads the request and never answers, until {@link DynamoDbFaultProxy.clear} or `close`.
 * - `reset`: reads the request and destroys the connection.
 * - `commit_then_hang`: forwards the request, so it takes effect, and never answers: the
 *   ambiguous outcome of a write whose answer was lost.
 */
export type DynamoDbFaultMode = 'throttle' | 'throughput_exceeded' | 'server_error' | 'hang' | 'reset' | 'commit_then_hang';

/** DynamoDB operations, as named in `X-Amz-Target` after `DynamoDB_20120810.`. */
export type DynamoDbOperation =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'TransactGetItems'
  | 'TransactWriteItems'
  | 'CreateTable'
  | 'DescribeTable'
  | 'UpdateTable'
  | 'DeleteTable'
  | 'UpdateTimeToLive'
  | 'DescribeTimeToLive'
  | 'ListTables';

/** An attribute value in DynamoDB JSON, as on the wire (binary values are base64 text). */
export interface AttributeJson {
  readonly S?: string;
  readonly N?: string;
  readonly B?: string;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
  readonly SS?: readonly string[];
  readonly NS?: readonly string[];
  readonly L?: readonly AttributeJson[];
  readonly M?: Readonly<Record<string, AttributeJson>>;
}

type ItemJson = Readonly<Record<string, AttributeJson>>;

/** A request's JSON body as DynamoDB receives it; the members cues usually look at are typed. */
export interface DynamoDbRequestBody {
  readonly TableName?: string;
  readonly Key?: ItemJson;
  readonly Item?: ItemJson;
  readonly KeyConditionExpression?: string;
  readonly ConditionExpression?: string;
  readonly UpdateExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: ItemJson;
  readonly TransactItems?: ReadonlyArray<Partial<Readonly<Record<'Put' | 'Update' | 'Delete' | 'ConditionCheck' | 'Get', { readonly Key?: ItemJson; readonly Item?: ItemJson }>>>>;
  readonly RequestItems?: Readonly<Record<string, unknown>>;
  readonly [member: string]: unknown;
}

/** A cue: which requests fail, and how. */
export interface DynamoDbFault {
  /** The operation(s) it selects; `'UpdateItem'` and `'DynamoDB_20120810.UpdateItem'` both do. @default every operation */
  readonly operation?: DynamoDbOperation | `DynamoDB_20120810.${DynamoDbOperation}` | ReadonlyArray<DynamoDbOperation>;
  readonly mode: DynamoDbFaultMode;
  /** How many matching requests it fails, the SDK's retries included. @default every one until cleared */
  readonly times?: number;
  /** Selects further by the request's body, e.g. {@link touchesPartition}. */
  readonly match?: (body: DynamoDbRequestBody, operation: string) => boolean;
}

/** One request the proxy received. */
export interface DynamoDbProxyRequest {
  /** The operation, e.g. `UpdateItem` (`X-Amz-Target` after the dot). */
  readonly operation: string;
  readonly body: DynamoDbRequestBody;
  /** `forwarded` (answered by DynamoDB Local), or the fault that struck it. */
  readonly outcome: 'forwarded' | DynamoDbFaultMode;
  /** Whether DynamoDB Local received it, so it may have taken effect (`forwarded`, `commit_then_hang`). */
  readonly reachedDynamoDb: boolean;
  /** DynamoDB Local's status once it answered (also for `commit_then_hang`, whose client never sees it). */
  readonly status: number | undefined;
  /** DynamoDB Local's error code when it refused, e.g. `ConditionalCheckFailedException`. */
  readonly error: string | undefined;
}

/** The proxy; see {@link startDynamoDbFaultProxy}. */
export interface DynamoDbFaultProxy {
  /** `http://127.0.0.1:<port>`, for an endpoint override (`LIFESPAN_DYNAMODB_ENDPOINT` included). */
  readonly endpoint: string;
  /** Every request, in arrival order, with what became of it. */
  readonly requests: readonly DynamoDbProxyRequest[];
  /** The requests of one operation. */
  requestsFor(operation: DynamoDbOperation): DynamoDbProxyRequest[];
  /** Sets a cue; cues are tried in the order they were set, the first that selects a request strikes. */
  fail(fault: DynamoDbFault): FaultCue;
  /** Withdraws every cue and drops every held request (its client sees the connection reset). */
  clear(): void;
  /** Resolves once DynamoDB Local has answered every request forwarded so far (`commit_then_hang` included). */
  settled(): Promise<void>;
  /**
   * A Lifespan DynamoDB client (functions/runtime/aws-clients.ts) through the proxy, destroyed by
   * `close`. Each has its own retry quota (500 tokens; a retry after a timeout or 5xx costs 14, after
   * throttling 5; a success gives one back): a client that has met some 35 timeouts stops retrying,
   * so a long scenario of faults wants a fresh client per step.
   * @default budget LOCAL_DYNAMODB_BUDGET (DynamoDB Local's); {@link QUICK_DYNAMODB_BUDGET} for hangs
   */
  client(budget?: CallBudget): DynamoDBClient;
  /** Drops held requests and connections and stops listening. */
  close(): Promise<void>;
}

/** A budget for clients that will meet `hang`: a blackholed call fails in about 0.6 s. */
export const QUICK_DYNAMODB_BUDGET: CallBudget = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };

const NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
const TARGET_PREFIX = 'DynamoDB_20120810.';
const MODES: ReadonlySet<string> = new Set<DynamoDbFaultMode>(['throttle', 'throughput_exceeded', 'server_error', 'hang', 'reset', 'commit_then_hang']);
/** DynamoDB's own wording for each error the proxy answers. */
const ANSWERS: Partial<Record<DynamoDbFaultMode, AwsJsonError>> = {
  throttle: { status: 400, type: `${NAMESPACE}#ThrottlingException`, message: 'Rate of requests exceeds the allowed throughput.' },
  throughput_exceeded: {
    status: 400,
    type: `${NAMESPACE}#ProvisionedThroughputExceededException`,
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  server_error: { status: 500, type: `${NAMESPACE}#InternalServerError`, message: 'Internal server error' },
};
/** Connection-level headers of one hop, not to be passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface ProxiedRequest {
  readonly operation: string;
  readonly body: DynamoDbRequestBody;
}

/**
 * A fault proxy in front of DynamoDB Local: a node:http server on 127.0.0.1 (a random free port)
 * that forwards every request over a keep-alive connection, except those a cue selects, which it
 * throttles, fails, holds, resets or commits without answering. The SDK client and the handlers
 * above it are real; only the network between them misbehaves, and only when told to.
 *
 * @example
 * const proxy = await startDynamoDbFaultProxy(inject('dynamoDbEndpoint'));
 * const families = new DynamoDbFamilyStore(proxy.client(), tableName); // or LIFESPAN_DYNAMODB_ENDPOINT = proxy.endpoint
 * const cue = proxy.fail({ operation: 'UpdateItem', mode: 'throttle', times: 2, match: touchesPartition('FAMILY#') });
 * await expect(refresh(families)).rejects.toBeInstanceOf(TemporarilyUnavailable);
 * expect(cue.hits).toBe(2);
 * expect(proxy.requestsFor('UpdateItem').some((request) => request.reachedDynamoDb)).toBe(false);
 * await proxy.close();
 */
export async function startDynamoDbFaultProxy(dynamoDbEndpoint: string): Promise<DynamoDbFaultProxy> {
  const upstream = new URL(dynamoDbEndpoint);
  if (upstream.protocol !== 'http:') throw new TypeError(`the DynamoDB endpoint must be http:, not ${upstream.protocol}`);
  const agent = new Agent({ keepAlive: true });
  const requests: Array<Mutable<DynamoDbProxyRequest>> = [];
  const cues = new CueList<ProxiedRequest, DynamoDbFault>();
  const held = new Set<ServerResponse>();
  const inFlight = new Set<Promise<void>>();
  const clients = new Set<DynamoDBClient>();

  function hold(response: ServerResponse): void {
    held.add(response);
    response.on('close', () => held.delete(response));
  }

  /** Sends the request to DynamoDB Local and notes its answer on the record. */
  function forward(request: IncomingMessage, raw: Buffer, record: Mutable<DynamoDbProxyRequest>): Promise<Answer> {
    record.reachedDynamoDb = true;
    const answer = send(agent, upstream, request, raw).then((result) => {
      record.status = result.status;
      record.error = result.status >= 400 ? errorCode(result.body) : undefined;
      return result;
    });
    const tracked = answer.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(tracked);
    void tracked.then(() => inFlight.delete(tracked));
    return answer;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.on('error', () => undefined);
    // A client that gives up mid-body (its own timeout) leaves nothing to answer.
    const raw = await readBody(request).catch(() => undefined);
    if (raw === undefined) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const body = parseBody(raw);
    const mode = cues.take({ operation, body })?.mode;
    const record: Mutable<DynamoDbProxyRequest> = {
      operation,
      body,
      outcome: mode ?? 'forwarded',
      reachedDynamoDb: false,
      status: undefined,
      error: undefined,
    };
    requests.push(record);

    const answer = mode && ANSWERS[mode];
    if (answer) return writeAwsJsonError(response, answer);
    switch (mode) {
      case 'hang':
        return hold(response);
      case 'reset':
        request.socket.destroy();
        return;
      case 'commit_then_hang':
        hold(response);
        await forward(request, raw, record).catch(() => undefined);
        return;
      default:
        try {
          const result = await forward(request, raw, record);
          if (response.destroyed) return;
          response.writeHead(result.status, { ...passOn(result.headers), 'content-length': result.body.length });
          response.end(result.body);
        } catch {
          request.socket.destroy();
        }
    }
  }

  const server = createServer((request, response) => {
    // Only a cue's own `match` can throw here: the connection is dropped and the error left
    // unhandled, so the test run reports it instead of a mysterious timeout.
    void handle(request, response).catch((error: unknown) => {
      request.socket.destroy();
      throw error;
    });
  });
  const endpoint = await listen(server);

  return {
    endpoint,
    requests,
    requestsFor: (operation) => requests.filter((request) => request.operation === operation),
    fail: (fault) => cues.add(fault, selector(fault)),
    clear() {
      cues.clear();
      for (const response of held) response.socket?.destroy();
      held.clear();
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    client(budget = LOCAL_DYNAMODB_BUDGET) {
      const client = dynamoDbClient({ endpoint }, budget);
      clients.add(client);
      return client;
    },
    async close() {
      cues.clear();
      for (const client of clients) client.destroy();
      for (const response of held) response.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(inFlight);
      agent.destroy();
    },
  };
}

/** Which requests a cue selects; a mode or operation that cannot be is a caller's mistake (TypeError). */
function selector(fault: DynamoDbFault): (request: ProxiedRequest) => boolean {
  if (!MODES.has(fault.mode)) throw new TypeError(`unknown DynamoDB fault mode ${String(fault.mode)}`);
  const listed = fault.operation === undefined ? undefined : typeof fault.operation === 'string' ? [fault.operation] : fault.operation;
  const names = listed?.map((operation) => (operation.startsWith(TARGET_PREFIX) ? operation.slice(TARGET_PREFIX.length) : operation));
  for (const name of names ?? []) if (!/^[A-Z][A-Za-z]+$/.test(name)) throw new TypeError(`not a DynamoDB operation: ${name}`);
  const operations = names && new Set(names);
  const { match } = fault;
  return ({ operation, body }) => (operations?.has(operation) ?? true) && (match?.(body, operation) ?? true);
}

/**
 * Every partition key value (`pk`) a request names: its `Key` or `Item`, each item of a
 * transaction or batch, and the key condition of a `Query`.
 */
export function partitionKeys(body: DynamoDbRequestBody): string[] {
  const name = TABLE_DEFINITION.partitionKey.name;
  const items: Array<ItemJson | undefined> = [body.Key, body.Item];
  for (const entry of body.TransactItems ?? []) {
    for (const action of Object.values(entry)) items.push(action?.Key, action?.Item);
  }
  for (const batch of Object.values(body.RequestItems ?? {})) {
    if (Array.isArray(batch)) {
      for (const write of batch as Array<{ PutRequest?: { Item?: ItemJson }; DeleteRequest?: { Key?: ItemJson } }>) items.push(write.PutRequest?.Item, write.DeleteRequest?.Key);
    } else {
      items.push(...((batch as { Keys?: ItemJson[] }).Keys ?? []));
    }
  }
  const keys = items.map((item) => item?.[name]?.S);
  for (const [, operand, placeholder] of (body.KeyConditionExpression ?? '').matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const attribute = operand?.startsWith('#') ? body.ExpressionAttributeNames?.[operand] : operand;
    if (attribute === name && placeholder !== undefined) keys.push(body.ExpressionAttributeValues?.[placeholder]?.S);
  }
  return keys.filter((key): key is string => key !== undefined);
}

/**
 * A cue's `match` for requests that name a partition starting with `prefix` (`FAMILY#`,
 * `CODE#`, `ACCESS#`…), whatever the operation.
 */
export function touchesPartition(prefix: string): (body: DynamoDbRequestBody) => boolean {
  return (body) => partitionKeys(body).some((key) => key.startsWith(prefix));
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function send(agent: Agent, upstream: URL, request: IncomingMessage, raw: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...passOn(request.headers), 'content-length': raw.length };
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, agent },
      (incoming) => {
        void readBody(incoming).then((body) => resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, body }), reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(raw);
  });
}

function passOn(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

function parseBody(raw: Buffer): DynamoDbRequestBody {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as DynamoDbRequestBody) : {};
  } catch {
    return {};
  }
}

/** `ConditionalCheckFailedException` from DynamoDB's `__type`. */
function errorCode(body: Buffer): string | undefined {
  const type = parseBody(body)['__type'];
  return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : undefined;
}
