import type { RouteHandler } from '../http/handler.ts';
import { json } from '../http/response.ts';
import { serverMetadata } from '../oauth/discovery.ts';
import { SIGNING_ALGORITHMS, type Signer, type SigningAlgorithm } from '../oauth/signer.ts';

export interface DiscoveryDependencies {
  readonly issuer: string;
  readonly signer: () => Signer;
  readonly grantTypes: readonly string[];
}

/** Discovery documents change only with a deploy or a key rotation; clients may cache them briefly. */
const CACHE = { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' };

export function discoveryRoutes(deps: DiscoveryDependencies): Record<string, RouteHandler> {
  const document: RouteHandler = async () => {
    const keys = await deps.signer().jwks();
    const signingAlgorithms = SIGNING_ALGORITHMS.filter((alg: SigningAlgorithm) => keys.keys.some((key) => key.alg === alg));
    return json(200, serverMetadata({ issuer: deps.issuer, signingAlgorithms, grantTypes: deps.grantTypes }), CACHE);
  };
  return {
    'GET /.well-known/openid-configuration': document,
    'GET /.well-known/oauth-authorization-server': document,
    'GET /jwks.json': async () =>
      json(200, await deps.signer().jwks(), {
        'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
        'Access-Control-Allow-Origin': '*',
      }),
  };
}

/**
 * `/jwks.json`. The max-age is what the key-rotation runbook waits for between publishing a
 * new key and signing with it.
 */
export const JWKS_MAX_AGE_SECONDS = 300;
