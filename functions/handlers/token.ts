import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import {
  readCoreEnvironment,
  readParametersEnvironment,
  readSignerEnvironment,
  readStoreEnvironment,
  readSuccessorEnvironment,
} from '../runtime/environment.ts';
import { lazy } from '../runtime/lazy.ts';
import { lifetimesFromEnvironment } from '../runtime/lifetimes.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { storeServices } from '../runtime/store.ts';
import { successorFromEnvironment } from '../runtime/successor.ts';
import { tokenRoutes } from './token-routes.ts';

const core = readCoreEnvironment(process.env);
const signerEnvironment = readSignerEnvironment(process.env);
const parametersEnvironment = readParametersEnvironment(process.env);
const successorEnvironment = readSuccessorEnvironment(process.env);
const store = storeServices(readStoreEnvironment(process.env), systemClock);
const metrics = lazy(() => emfMetrics(core.stage));

const grants = lazy(() => ({
  issuer: core.issuer,
  signer: signerFromEnvironment(signerEnvironment),
  clock: systemClock,
  lifetimes: lifetimesFromEnvironment(core, parametersEnvironment, { clock: systemClock, logger: jsonLogger, metrics: metrics() }),
  accessTokens: store.accessTokens(),
  families: store.families(),
  codes: store.codes(),
  markers: store.markers(),
  successors: successorFromEnvironment(successorEnvironment),
  metrics: metrics(),
  logger: jsonLogger,
}));

/** Lambda entry of `POST /token` (the only function allowed to sign). */
export const handler = lambdaHandler(tokenRoutes({ clients: store.cachedClients, grants, metrics }), () => jsonLogger);
