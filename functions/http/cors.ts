import type { RouteHandler } from './handler.ts';
import { empty } from './response.ts';

/**
 * The CORS preflight (`OPTIONS`) for endpoints browser apps call cross-origin with headers
 * that are not "simple" (a bearer token at /userinfo). No cookies cross origins here, so any
 * origin may ask; the answer may be cached for a day.
 */
export function preflight(methods: readonly string[]): RouteHandler {
  return async () =>
    empty(204, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
      'Access-Control-Allow-Headers': 'authorization, content-type, dpop',
      'Access-Control-Max-Age': '86400',
      'Cache-Control': 'public, max-age=86400',
    });
}
