import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { readAdminEnvironment, readCoreEnvironment, readStoreEnvironment } from '../runtime/environment.ts';
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
  }),
  () => jsonLogger,
);
