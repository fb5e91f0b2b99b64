import type { RouteHandler } from '../http/handler.ts';
import { formBody, type HttpRequest } from '../http/request.ts';
import { json } from '../http/response.ts';
import { authenticateClient } from '../oauth/clients/authenticate.ts';
import type { ClientRepository } from '../oauth/clients/client.ts';
import { InvalidClient, InvalidRequest, OAuthError, UnauthorizedClient, UnsupportedGrantType } from '../oauth/errors.ts';
import type { GrantDependencies } from '../oauth/grants/grant.ts';
import { GRANTS } from '../oauth/grants/registry.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface TokenRouteDependencies {
  readonly clients: () => Pick<ClientRepository, 'get'>;
  readonly grants: () => GrantDependencies;
  readonly metrics: () => Metrics;
}

/** Browser apps (public clients) call the token endpoint cross-origin; it uses no cookies. */
const CORS = { 'Access-Control-Allow-Origin': '*' };

/** Errors from the token endpoint carry CORS too, so a browser client can read them. */
function withCors(handler: RouteHandler): RouteHandler {
  return async (request) => {
    try {
      const response = await handler(request);
      return { ...response, headers: { ...response.headers, ...CORS } };
    } catch (error) {
      if (error instanceof OAuthError) Object.assign(error.headers, CORS);
      throw error;
    }
  };
}

/**
 * `POST /token` as a list of steps: parse the form, authenticate the client, pick the grant,
 * check the client may use it, run it. Responses are never cached.
 */
export function tokenRoutes(deps: TokenRouteDependencies): Record<string, RouteHandler> {
  const token: RouteHandler = async (request: HttpRequest) => {
    const params = formBody(request);
    const { client } = await authenticateClient({ headers: request.headers, form: params }, deps.clients()).catch((error: unknown) => {
      if (error instanceof InvalidClient) deps.metrics().count('InvalidClient', {});
      throw error;
    });
    const grantType = params.get('grant_type');
    if (!grantType) throw new InvalidRequest('grant_type is required');
    const grant = GRANTS.get(grantType);
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    if (!client.grantTypes.includes(grant.grantType)) throw new UnauthorizedClient(`this client may not use ${grantType}`);
    return json(200, await grant.handle({ client, params }, deps.grants()));
  };
  return { 'POST /token': withCors(token) };
}
