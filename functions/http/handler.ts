import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { NotFound } from '../oauth/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { errorResponse } from './errors.ts';
import { parseRequest, type HttpRequest } from './request.ts';
import type { HttpResponse } from './response.ts';

export type RouteHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** middy middleware: every error leaves as RFC 6749 §5.2 JSON through the one serializer. */
export function oauthErrors(logger: () => Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    name: 'oauthErrors',
    onError: (request) => {
      request.response = errorResponse(request.error, logger(), {
        route: request.event.routeKey,
        requestId: request.context.awsRequestId,
      });
    },
  };
}

/**
 * A Lambda handler serving several routes of one group: API Gateway's `routeKey` selects
 * the route handler; the request is parsed once, before it.
 */
export function lambdaHandler(
  routes: Readonly<Record<string, RouteHandler>>,
  logger: () => Logger,
  metrics?: () => { flush(): void },
) {
  // Lambda may freeze the process as soon as the handler returns: metrics leave before that.
  const flush = () => metrics?.().flush();
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use({ name: 'flushMetrics', after: flush, onError: flush })
    .use(oauthErrors(logger))
    .handler(async (event) => {
      const route = routes[event.routeKey];
      if (!route) throw new NotFound(`no route ${event.routeKey}`);
      return route(parseRequest(event));
    });
}
