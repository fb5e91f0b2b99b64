import { withHeaders, type RouteHandler } from '../http/handler.ts';
import { preflight } from '../http/cors.ts';
import { formParameters, uniqueParameters, type HttpRequest } from '../http/request.ts';
import { empty, json, type HttpResponse } from '../http/response.ts';
import { authenticateClient } from '../oauth/clients/authenticate.ts';
import type { Client, ClientRepository } from '../oauth/clients/client.ts';
import { InvalidClient, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../oauth/errors.ts';
import { epochSeconds } from '../oauth/clock.ts';
import { limitClientAuthFailures } from '../oauth/rate-limit.ts';
import type { GrantDependencies, GrantHandler } from '../oauth/grants/grant.ts';
import { GRANTS } from '../oauth/grants/registry.ts';
import { introspect, type IntrospectionDependencies } from '../oauth/introspection.ts';
import { revokeToken, type RevocationDependencies } from '../oauth/revocation.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DpopNonces } from '../oauth/dpop/nonce.ts';
import type { DpopProof } from '../oauth/dpop/proof.ts';
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

// The steps of the token, revocation and introspection endpoints, in the order they run.

/** The form body (415 unless it is one), each parameter at most once (RFC 6749 §3.1). */
function parseBody(request: HttpRequest): Map<string, string> {
  return rejectDuplicates(formParameters(request));
}

function rejectDuplicates(form: URLSearchParams): Map<string, string> {
  return uniqueParameters(form, 'body');
}

/** Who the client is (RFC 6749 §2.3); a failure is counted against the claimed client id. */
async function authenticate(deps: TokenRouteDependencies, request: HttpRequest, params: Map<string, string>): Promise<Client> {
  try {
    return (await authenticateClient({ headers: request.headers, form: params }, deps.clients())).client;
  } catch (error) {
    if (error instanceof InvalidClient) await countFailure(deps, error);
    throw error;
  }
}

/** Counts a failed authentication; past the limit, the answer is 429 instead (see {@link limitClientAuthFailures}). */
async function countFailure(deps: TokenRouteDependencies, error: InvalidClient): Promise<void> {
  deps.metrics().count('InvalidClient', {});
  if (error.presentedClientId !== undefined) await limitClientAuthFailures(error.presentedClientId, deps.grants());
}

/** The grant `grant_type` names, if this server has it and the client may use it. */
function pickGrant(client: Client, params: ReadonlyMap<string, string>): GrantHandler {
  const grantType = params.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const grant = GRANTS.get(grantType);
  if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
  if (!client.grantTypes.includes(grant.grantType)) throw new UnauthorizedClient(`this client may not use ${grantType}`);
  return grant;
}

/** The request's DPoP proof (RFC 9449), checked against this endpoint, and the nonce to send next. */
async function checkProof(
  deps: TokenRouteDependencies,
  request: HttpRequest,
  client: Client,
  endpoint: '/token' | '/revoke',
): Promise<{ proof?: DpopProof; nextNonce?: string }> {
  const grants = deps.grants();
  return tokenRequestProof({
    headers: request.headers,
    client,
    tokenEndpoint: `${grants.issuer}${endpoint}`,
    lifetimes: await lifetimesFor(grants, client),
    nonces: deps.nonces,
    now: epochSeconds(grants.clock),
    // A public client has no secret: a DPoP-bound token of its is revoked only with a proof of the key.
    requiredOfBoundClients: endpoint === '/token',
  });
}

/** 200 with the body, never cached (`json` sets `Cache-Control: no-store`, RFC 6749 §5.1). */
function answerNoStore(body: unknown, nextNonce: string | undefined): HttpResponse {
  return json(200, body, nextNonce !== undefined ? { 'DPoP-Nonce': nextNonce } : {});
}

/**
 * The token, revocation and introspection endpoints, each an ordered list of the steps above
 * (as node-oidc-provider's `lib/actions/token.js`). Every answer, errors too, carries CORS.
 */
export function tokenRoutes(deps: TokenRouteDependencies): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {
    'OPTIONS /token': preflight(['POST']),
    'POST /token': withHeaders(async (request) => {
      const params = parseBody(request);
      const client = await authenticate(deps, request, params);
      const grant = pickGrant(client, params);
      const { proof, nextNonce } = await checkProof(deps, request, client, '/token');
      const body = await grant.handle({ client, params, proof }, deps.grants());
      return answerNoStore(body, nextNonce);
    }, CORS),
  };
  const { revocation, introspection } = deps;
  if (revocation) {
    routes['POST /revoke'] = withHeaders(async (request) => {
      const params = parseBody(request);
      const client = await authenticate(deps, request, params);
      const { proof } = await checkProof(deps, request, client, '/revoke');
      await revokeToken(client, params, revocation(), proof);
      return empty(200);
    }, CORS);
  }
  if (introspection) {
    routes['POST /introspect'] = withHeaders(async (request) => {
      const params = parseBody(request);
      const client = await authenticate(deps, request, params);
      return answerNoStore(await introspect(client, params, introspection()), undefined);
    }, CORS);
  }
  return routes;
}
