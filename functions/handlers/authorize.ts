import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import {
  readCoreEnvironment,
  readLoginUrl,
  readParametersEnvironment,
  readSignerEnvironment,
  readStoreEnvironment,
} from '../runtime/environment.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { lazy } from '../runtime/lazy.ts';
import { lifetimesFromEnvironment } from '../runtime/lifetimes.ts';
import { storeServices } from '../runtime/store.ts';
import { authorizeRoutes } from './authorize-routes.ts';

const core = readCoreEnvironment(process.env);
const loginUrl = readLoginUrl(process.env);
const signerEnvironment = readSignerEnvironment(process.env);
const parametersEnvironment = readParametersEnvironment(process.env);
const store = storeServices(readStoreEnvironment(process.env), systemClock);

const deps = lazy(() => ({
  issuer: core.issuer,
  loginUrl,
  clock: systemClock,
  clients: store.cachedClients(),
  sessions: store.sessions(),
  loginRequests: store.loginRequests(),
  codes: store.codes(),
  markers: store.markers(),
  profiles: store.profiles(),
  signer: signerFromEnvironment(signerEnvironment),
  lifetimes: lifetimesFromEnvironment(core, parametersEnvironment, {
    clock: systemClock,
    logger: jsonLogger,
    metrics: emfMetrics(core.stage),
  }),
}));

/** Lambda entry of `GET /authorize` and `GET /logout` (browser-facing: the SSO session cookie). */
export const handler = lambdaHandler(authorizeRoutes(deps), () => jsonLogger);
