import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { LambdaEntry } from '../functions/local/http-adapter.ts';
import { expectJson, form, type HttpClient } from './http.ts';

/** How a token request reaches the service: over HTTP, or straight into the Lambda handler. */
export interface Transport {
  readonly name: string;
  /** POST a form; anything but 200 with a JSON body throws (RequestFailed). */
  post(path: string, fields: Record<string, string>, headers: Record<string, string>): Promise<Record<string, unknown>>;
}

export function httpTransport(client: HttpClient): Transport {
  return { name: 'HTTP', post: (path, fields, headers) => client.postForm(path, fields, headers) };
}

const context = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'lifespan-bench-token',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:lifespan-bench-token',
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/lifespan-bench-token',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/**
 * The API Gateway v2 event of a form POST, as functions/local/http-adapter.ts builds it: what
 * the token function receives in AWS, without the local HTTP server and client around it.
 */
function formEvent(path: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const now = Date.now();
  const routeKey = `POST ${path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { host: '127.0.0.1', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers },
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: 'local',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

export function handlerTransport(handler: LambdaEntry): Transport {
  return {
    name: 'handler',
    async post(path, fields, headers) {
      const result = (await handler(formEvent(path, form(fields), headers), context())) as APIGatewayProxyStructuredResultV2;
      return expectJson(`${path} (handler)`, { status: result.statusCode ?? 0, body: result.body ?? '' }, 200);
    },
  };
}
