import type { RouteHandler } from '../http/handler.ts';
import { preflight } from '../http/cors.ts';
import { formBody, type HttpRequest } from '../http/request.ts';
import { empty, json, type HttpResponse } from '../http/response.ts';
import { authenticateClient } from '../oauth/clients/authenticate.ts';
import type { Client, ClientRepository } from '../oauth/clients/client.ts';
import {
  InvalidClient,
  InvalidRequest,
  OAuthError,
  TooManyRequests,
  UnauthorizedClient,
  UnsupportedGrantType,
} from '../oauth/errors.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { epochSeconds } from '../oauth/clock.ts';
import { rateLimitTripped } from '../oauth/rate-limit.ts';
import type { GrantDependencies } from '../oauth/grants/grant.ts';
import { GRANTS } from '../oauth/grants/registry.ts';
import { introspect, type IntrospectionDependencies } from '../oauth/introspection.ts';
import { revokeToken, type RevocationDependencies } from '../oauth/revocation.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DpopNonces } from '../oauth/dpop/nonce.ts';
import { tokenRequestProof } from '../oauth/dpop/token-proof.ts';
import { lifetimesFor } from '../oauth/tokens/issue.ts';

export interface TokenRouteDependencies {
  readonly clients: () => Pick<ClientRepository, 'get'>;
  readonly grants: () => GrantDependencies;
  readonly metrics: () => Metrics;
  /** DPoP server nonces (RFC 9449 §8), for the clients that must use them. */
  readonly nonces: () => DpopNonces;
  readonly revocation?: () => RevocationDependencies;
  readonly introspection?: () => IntrospectionDependencies;
}

/**
 * Browser apps (public clients) call these endpoints cross-origin; they use no cookies. They may
 * read the DPoP nonce (RFC 9449 §8) and the challenge of an error.
 */
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'DPoP-Nonce, WWW-Authenticate' };

/** Errors carry CORS too, so a browser client can read them. */
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
 * Failed client authentications are counted per claimed client id (off the happy path);
 * past `client_auth_failure_limit` in a window, they are answered 429. Correct credentials
 * are never refused by this limit, so an attacker cannot lock the real client out.
 */
async function limitFailures(clientId: string, deps: GrantDependencies): Promise<void> {
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), { clientId });
  const now = epochSeconds(deps.clock);
  const { count, resetAt } = await deps.rates.hit(`client#${clientId}`, lifetimes.rate_limit_window.value, now);
  if (count > lifetimes.client_auth_failure_limit.value) {
    deps.metrics.count('RateLimited', { Limit: 'client_auth_failures' });
    // The client id is the one claimed: whoever fails to authenticate as it.
    await rateLimitTripped(deps.events, 'client_auth_failures', clientId, resetAt, { client_id: clientId });
    throw new TooManyRequests(resetAt - now, 'too many failed client authentications');
  }
}

type ClientHandler = (client: Client, params: Map<string, string>, request: HttpRequest) => Promise<HttpResponse>;

/**
 * The token, revocation and introspection endpoints, each a list of steps: parse the form,
 * authenticate the client, then the endpoint's own work. Responses are never cached.
 */
export function tokenRoutes(deps: TokenRouteDependencies): Record<string, RouteHandler> {
  const authenticated = (handle: ClientHandler): RouteHandler =>
    withCors(async (request) => {
      const params = formBody(request);
      const { client } = await authenticateClient({ headers: request.headers, form: params }, deps.clients()).catch(
        async (error: unknown) => {
          if (error instanceof InvalidClient) {
            deps.metrics().count('InvalidClient', {});
            if (error.presentedClientId !== undefined) await limitFailures(error.presentedClientId, deps.grants());
          }
          throw error;
        },
      );
      return handle(client, params, request);
    });

  const routes: Record<string, RouteHandler> = {
    'OPTIONS /token': preflight(['POST']),
    'POST /token': authenticated(async (client, params, request) => {
      const grantType = params.get('grant_type');
      if (!grantType) throw new InvalidRequest('grant_type is required');
      const grant = GRANTS.get(grantType);
      if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
      if (!client.grantTypes.includes(grant.grantType)) throw new UnauthorizedClient(`this client may not use ${grantType}`);
      const grants = deps.grants();
      const { proof, nextNonce } = await tokenRequestProof({
        headers: request.headers,
        client,
        tokenEndpoint: `${grants.issuer}/token`,
        lifetimes: await lifetimesFor(grants, client),
        nonces: deps.nonces,
        now: epochSeconds(grants.clock),
      });
      const body = await grant.handle({ client, params, ...(proof && { proof }) }, grants);
      return json(200, body, nextNonce !== undefined ? { 'DPoP-Nonce': nextNonce } : {});
    }),
  };
  const { revocation, introspection } = deps;
  if (revocation) {
    routes['POST /revoke'] = authenticated(async (client, params, request) => {
      const grants = deps.grants();
      // A public client has no secret: a DPoP-bound token of its is revoked only with a proof of the key.
      const { proof } = await tokenRequestProof({
        headers: request.headers,
        client,
        tokenEndpoint: `${grants.issuer}/revoke`,
        lifetimes: await lifetimesFor(grants, client),
        nonces: deps.nonces,
        now: epochSeconds(grants.clock),
        requiredOfBoundClients: false,
      });
      await revokeToken(client, params, revocation(), proof);
      return empty(200);
    });
  }
  if (introspection) {
    routes['POST /introspect'] = authenticated(async (client, params) => json(200, await introspect(client, params, introspection())));
  }
  return routes;
}
