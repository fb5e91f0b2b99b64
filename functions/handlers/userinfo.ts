import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import {
  readCoreEnvironment,
  readParametersEnvironment,
  readSignerEnvironment,
  readStoreEnvironment,
} from '../runtime/environment.ts';
import { lazy } from '../runtime/lazy.ts';
import { lifetimesFromEnvironment } from '../runtime/lifetimes.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { storeServices } from '../runtime/store.ts';
import { userinfoRoutes } from './userinfo-routes.ts';

const core = readCoreEnvironment(process.env);
const signerEnvironment = readSignerEnvironment(process.env);
const parametersEnvironment = readParametersEnvironment(process.env);
const store = storeServices(readStoreEnvironment(process.env), systemClock);

const deps = lazy(() => ({
  issuer: core.issuer,
  clock: systemClock,
  signer: signerFromEnvironment(signerEnvironment),
  families: store.families(),
  accessTokens: store.accessTokens(),
  markers: store.markers(),
  profiles: store.profiles(),
  lifetimes: lifetimesFromEnvironment(core, parametersEnvironment, { clock: systemClock, logger: jsonLogger, metrics: emfMetrics(core.stage) }),
}));

/** Lambda entry of `GET /userinfo` (verifies tokens with public keys; never signs). */
export const handler = lambdaHandler(userinfoRoutes(deps), () => jsonLogger);
