import type { RouteHandler } from '../http/handler.ts';
import { preflight } from '../http/cors.ts';
import { formBody } from '../http/request.ts';
import { json } from '../http/response.ts';
import { accessCredential, userinfo, type UserinfoDependencies } from '../oauth/userinfo.ts';

const HEADERS = { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'WWW-Authenticate' };

/** `GET` and `POST /userinfo` (OIDC Core §5.3.1); browsers may call it cross-origin with a bearer token. */
export function userinfoRoutes(deps: () => UserinfoDependencies): Record<string, RouteHandler> {
  return {
    'OPTIONS /userinfo': preflight(['GET', 'POST']),
    'GET /userinfo': async (request) =>
      json(200, await userinfo(accessCredential(request.headers['authorization']), { method: 'GET', headers: request.headers }, deps()), HEADERS),
    'POST /userinfo': async (request) => {
      // A POST may carry the token in a form body (RFC 6750 §2.2), or send only the header and no body.
      const form = request.body === undefined || request.body === '' ? undefined : formBody(request);
      const credential = accessCredential(request.headers['authorization'], form);
      return json(200, await userinfo(credential, { method: 'POST', headers: request.headers }, deps()), HEADERS);
    },
  };
}
