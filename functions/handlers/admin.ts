import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { readAdminEnvironment, readCoreEnvironment, readParametersEnvironment, readStoreEnvironment } from '../runtime/environment.ts';
import { lazy } from '../runtime/lazy.ts';
import { lifetimesFromEnvironment } from '../runtime/lifetimes.ts';
import { emfMetrics } from '../observability/metrics.ts';
import { storeServices } from '../runtime/store.ts';
import { adminRoutes } from './admin-routes.ts';

const core = readCoreEnvironment(process.env);
const store = storeServices(readStoreEnvironment(process.env), systemClock);

/** Lambda entry of the admin API (IAM-authorized in AWS, bearer token locally). */
export const handler = lambdaHandler(
  adminRoutes({
    auth: readAdminEnvironment(process.env),
    clients: store.clients,
    clock: systemClock,
    logger: () => jsonLogger,
    login: () => ({ issuer: core.issuer, clock: systemClock, clients: store.clients(), loginRequests: store.loginRequests() }),
    devices: () => ({ clock: systemClock, clients: store.clients(), devices: store.devices() }),
    revocations: lazy(() => ({
      clock: systemClock,
      markers: store.markers(),
      families: store.families(),
      history: store.rotationHistory(),
      clients: store.clients(),
      lifetimes: lifetimesFromEnvironment(core, readParametersEnvironment(process.env), {
        clock: systemClock,
        logger: jsonLogger,
        metrics: emfMetrics(core.stage),
      }),
    })),
  }),
  () => jsonLogger,
);
