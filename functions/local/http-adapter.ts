import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROUTES, routeKey, type Route } from '../routes.ts';
import { jsonLogger, type Logger } from '../observability/logger.ts';

/** API Gateway refuses payloads over 10 MB; so does the local adapter. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))/i;

export type LambdaEntry = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

interface Match {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

const compiled = ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_all, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^${pattern}$`) };
});

/** Finds the route API Gateway would pick for a method and path. */
export function matchRoute(method: string, path: string): Match | undefined {
  for (const { route, names, regex } of compiled) {
    if (route.method !== method) continue;
    const found = regex.exec(path);
    if (!found) continue;
    const pathParameters: Record<string, string> = {};
    names.forEach((name, index) => {
      const raw = found[index + 1]!;
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { route, pathParameters };
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  // Plain events rather than the async iterator: this is on every local request's path.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_PAYLOAD_BYTES ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Builds the API Gateway HTTP API (payload 2.0) event that AWS would send for this request. */
export function toEvent(request: IncomingMessage, url: URL, match: Match, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = (request.headers.cookie ?? '')
    .split(';')
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const text = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = Date.now();
  const key = routeKey(match.route);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(match.pathParameters).length > 0 && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: match.route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: !text,
  };
}

function lambdaContext(name: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `lifespan-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:lifespan-local-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/lifespan-local-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Writes the status, headers and the whole body, with its Content-Length as API Gateway sends
 * it: node then sends the response in one write, not as a chunked stream.
 */
function write(response: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | string[]>): void {
  response.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(body);
}

/** The adapter's own answers (no route, too large, a crashed handler), JSON as API Gateway's. */
function send(response: ServerResponse, status: number, body: string): void {
  write(response, status, body, { 'Content-Type': 'application/json' });
}

/**
 * Serves one HTTP request the way API Gateway would: match the route, build the v2 event,
 * invoke the handler of its group, and write the result back (cookies as Set-Cookie).
 */
export async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  loadHandler: (group: Route['group']) => Promise<LambdaEntry>,
  logger: Logger = jsonLogger(),
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const match = matchRoute(request.method ?? 'GET', url.pathname);
  if (!match) {
    request.resume();
    send(response, 404, JSON.stringify({ message: 'Not Found' }));
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, JSON.stringify({ message: 'Request Entity Too Large' }));
    return;
  }
  try {
    const handler = await loadHandler(match.route.group);
    const result = await handler(toEvent(request, url, match, body), lambdaContext(match.route.group));
    if (typeof result === 'string') {
      send(response, 200, result);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
    }
    if (result.cookies && result.cookies.length > 0) headers['Set-Cookie'] = result.cookies;
    const payload = result.body ?? '';
    write(response, result.statusCode ?? 200, result.isBase64Encoded ? Buffer.from(payload, 'base64') : payload, headers);
  } catch (error) {
    // API Gateway answers a crashed integration with 500 and this body; so does the adapter.
    logger.error('handler_crashed', { error: String(error) });
    send(response, 500, JSON.stringify({ message: 'Internal Server Error' }));
  }
}
