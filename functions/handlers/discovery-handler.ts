import { lambdaHandler } from '../http/handler.ts';
import { SUPPORTED_GRANT_TYPES } from '../oauth/grants/registry.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { signerFor } from '../runtime/signer.ts';

/** Discovery and `/jwks.json`: may read public keys, never sign. */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  return lambdaHandler(
    discoveryRoutes({ issuer: services.core.issuer, signer: signerFor(services), grantTypes: SUPPORTED_GRANT_TYPES }),
    { logger: services.logger, metrics: services.metrics },
  );
}

