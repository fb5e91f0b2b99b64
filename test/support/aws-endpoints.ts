import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

/** An AWS JSON-protocol error (DynamoDB, KMS and SSM all speak it): what a service answers. */
export interface AwsJsonError {
  /** HTTP status: 400 for client faults (throttling included), 500 for the service's own. */
  readonly status: number;
  /** The error code; DynamoDB qualifies it (`com.amazonaws.dynamodb.v20120810#ThrottlingException`). */
  readonly type: string;
  readonly message: string;
}

/**
 * Writes `error` the way AWS does: the type in `x-amzn-ErrorType` and as `__type` in the JSON
 * body, which is where the SDK's deserializer looks (body first), so it builds the modelled
 * exception class (or the service's base exception, named, for an unmodelled code).
 */
export function writeAwsJsonError(response: ServerResponse, error: AwsJsonError): void {
  const body = JSON.stringify({ __type: error.type, message: error.message });
  const shortType = error.type.slice(error.type.lastIndexOf('#') + 1);
  response.writeHead(error.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
    'x-amzn-ErrorType': shortType,
  });
  response.end(body);
}

/** A TCP endpoint that accepts every connection and never answers. */
export interface Blackhole {
  /** `http://127.0.0.1:<port>`, for a client's endpoint override. */
  readonly endpoint: string;
  /** Connections accepted so far: one per SDK attempt, as a timed-out attempt closes its socket. */
  readonly connections: number;
  /** Bytes received on every connection, so a test can see that a request was sent. */
  readonly bytesReceived: number;
  close(): Promise<void>;
}

/**
 * A blackhole on 127.0.0.1 (a random free port): the connection is made, the request is read,
 * and nothing ever comes back: the outage a request timeout is for.
 *
 * @example
 * const hole = await startBlackhole();
 * await expect(kmsClient({ endpoint: hole.endpoint }).send(sign)).rejects.toBeInstanceOf(TemporarilyUnavailable);
 * expect(hole.connections).toBe(2);
 */
export async function startBlackhole(): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let bytesReceived = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('data', (chunk) => {
      bytesReceived += chunk.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    get connections() {
      return connections;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A request an {@link AwsErrorEndpoint} received. */
export interface ReceivedRequest {
  /** `X-Amz-Target`, e.g. `TrentService.Sign`. */
  readonly target: string;
  readonly body: string;
}

/** An HTTP endpoint that answers every request with one AWS error. */
export interface AwsErrorEndpoint {
  readonly endpoint: string;
  readonly requests: readonly ReceivedRequest[];
  close(): Promise<void>;
}

/** Options of {@link startAwsErrorEndpoint}. */
export interface AwsErrorEndpointOptions {
  /** Answer only after this long, e.g. just inside the client's request timeout. @default 0 */
  readonly delayMs?: number;
}

/**
 * An HTTP server on 127.0.0.1 (a random free port) that answers every request with `error`,
 * as the real service would: for a real SDK client's retry and error handling.
 *
 * @example
 * const throttling = await startAwsErrorEndpoint({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
 * await expect(ssmClient({ endpoint: throttling.endpoint }).send(read)).rejects.toBeInstanceOf(TemporarilyUnavailable);
 * expect(throttling.requests).toHaveLength(2);
 */
export async function startAwsErrorEndpoint(error: AwsJsonError, options: AwsErrorEndpointOptions = {}): Promise<AwsErrorEndpoint> {
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createHttpServer((request, response) => {
    void readBody(request).then((body) => {
      requests.push({ target: String(request.headers['x-amz-target'] ?? ''), body: body.toString('utf8') });
      const timer = setTimeout(() => {
        timers.delete(timer);
        writeAwsJsonError(response, error);
      }, options.delayMs ?? 0);
      timers.add(timer);
    });
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole body of a request or response. */
export async function readBody(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Listens on 127.0.0.1 at a free port and returns the endpoint. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
