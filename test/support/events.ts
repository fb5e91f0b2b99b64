import type { APIGatewayProxyEventV2 } from 'aws-lambda';

// `npm run demo` builds its API's events with apiEvent: keep vitest out of this module's runtime imports.

/** A minimal API Gateway v2 event, for handler and parser tests. */
export function apiEvent(overrides: {
  method?: string;
  path?: string;
  routeKey?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  query?: string;
  cookies?: string[];
  pathParameters?: Record<string, string>;
} = {}): APIGatewayProxyEventV2 {
  const method = overrides.method ?? 'GET';
  const path = overrides.path ?? '/';
  return {
    version: '2.0',
    routeKey: overrides.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: overrides.query ?? '',
    headers: overrides.headers ?? {},
    ...(overrides.cookies && { cookies: overrides.cookies }),
    ...(overrides.pathParameters && { pathParameters: overrides.pathParameters }),
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'request',
      routeKey: overrides.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    ...(overrides.body !== undefined && { body: overrides.body }),
    isBase64Encoded: overrides.isBase64Encoded ?? false,
  };
}

/** `POST /token` as API Gateway delivers it: a form body, the client authenticated with HTTP Basic. */
export function tokenEvent(form: Record<string, string>, client: { readonly clientId: string; readonly secret: string }): APIGatewayProxyEventV2 {
  return apiEvent({
    method: 'POST',
    path: '/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(form).toString(),
  });
}
