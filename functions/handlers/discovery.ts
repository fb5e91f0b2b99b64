import { lambdaHandler } from '../http/handler.ts';
import { jsonLogger } from '../observability/logger.ts';
import { readCoreEnvironment, readSignerEnvironment } from '../runtime/environment.ts';
import { lazy } from '../runtime/lazy.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { SUPPORTED_GRANT_TYPES } from '../oauth/grants/registry.ts';

const core = readCoreEnvironment(process.env);
const signerEnvironment = readSignerEnvironment(process.env);

/** Lambda entry of discovery and `/jwks.json` (may read public keys, never sign). */
export const handler = lambdaHandler(
  discoveryRoutes({
    issuer: core.issuer,
    signer: lazy(() => signerFromEnvironment(signerEnvironment)),
    grantTypes: SUPPORTED_GRANT_TYPES,
  }),
  () => jsonLogger,
);
