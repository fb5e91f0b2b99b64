import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { NotFound, OAuthError } from '../oauth/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { withRequestContext, type RequestContext } from '../observability/request-context.ts';
import { errorResponse } from './errors.ts';
import { parseRequest, type HttpRequest } from './request.ts';
import type { HttpResponse } from './response.ts';

/** A route; `headers`, when set, go on each of its answers, the errors it refuses with included. */
export type RouteHandler = ((request: HttpRequest) => Promise<HttpResponse>) & { readonly headers?: Readonly<Record<string, string>> };

/**
 * A route whose every answer carries `headers`: its responses, and the OAuth errors it is
 * refused with (CORS, so a browser client can read them). The error itself is left as it was
 * thrown: the serializer adds the route's headers.
 */
export function withHeaders(handler: RouteHandler, headers: Readonly<Record<string, string>>): RouteHandler {
  const route = async (request: HttpRequest): Promise<HttpResponse> => {
    const response = await handler(request);
    return { ...response, headers: { ...response.headers, ...headers } };
  };
  return Object.assign(route, { headers });
}

/**
 * middy middleware: every error leaves through the one serializer; an OAuth error shown to the
 * client also carries the route's own headers ({@link withHeaders}).
 */
export function oauthErrors(
  logger: () => Logger,
  routes: Readonly<Record<string, RouteHandler>> = {},
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    name: 'oauthErrors',
    onError: (request) => {
      const response = errorResponse(request.error, logger(), {
        route: request.event.routeKey,
        requestId: request.context.awsRequestId,
      });
      const headers = routes[request.event.routeKey]?.headers;
      const shown = request.error instanceof OAuthError && request.error.expose;
      request.response = headers && shown ? { ...response, headers: { ...response.headers, ...headers } } : response;
    },
  };
}

/** Where a handler's logs and metrics go. */
export interface HandlerOutput {
  readonly logger: Logger;
  readonly metrics?: () => { flush(): void };
}

/**
 * Every line a request writes carries its Lambda request id, and X-Ray's trace id when active
 * tracing is on (Lambda sets `_X_AMZN_TRACE_ID` for each invocation).
 */
export function inRequestContext<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): (event: E, context: Context) => Promise<R> {
  return (event, context) => {
    const traceId = env['_X_AMZN_TRACE_ID'];
    const requestContext: RequestContext = { request_id: context.awsRequestId, trace_id: traceId || undefined };
    return withRequestContext(requestContext, () => handler(event, context));
  };
}

/**
 * A Lambda handler serving several routes of one group: API Gateway's `routeKey` selects
 * the route handler; the request is parsed once, before it.
 */
export function lambdaHandler(routes: Readonly<Record<string, RouteHandler>>, output: HandlerOutput) {
  // Lambda may freeze the process as soon as the handler returns: metrics leave before that.
  const flush = () => output.metrics?.().flush();
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use({ name: 'flushMetrics', after: flush, onError: flush })
    .use(oauthErrors(() => output.logger, routes))
    .handler(async (event) => {
      const route = routes[event.routeKey];
      if (!route) throw new NotFound(`no route ${event.routeKey}`);
      return route(parseRequest(event));
    });
  return inRequestContext<APIGatewayProxyEventV2, APIGatewayProxyResultV2>((event, context) => handler(event, context));
}
