import type { RouteHandler } from '../http/handler.ts';
import { preflight } from '../http/cors.ts';
import { json } from '../http/response.ts';
import { bearerToken, userinfo, type UserinfoDependencies } from '../oauth/userinfo.ts';

/** `GET /userinfo` (OIDC Core §5.3); browsers may call it cross-origin with a bearer token. */
export function userinfoRoutes(deps: () => UserinfoDependencies): Record<string, RouteHandler> {
  return {
    'OPTIONS /userinfo': preflight(['GET']),
    'GET /userinfo': async (request) =>
      json(200, await userinfo(bearerToken(request.headers['authorization']), deps()), { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' }),
  };
}
