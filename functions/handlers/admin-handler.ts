import { lambdaHandler } from '../http/handler.ts';
import { readAdminEnvironment } from '../runtime/environment.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { adminRoutes } from './admin-routes.ts';

/** The admin API (IAM-authorized in AWS, bearer token locally). */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { clock, logger, metrics } = services;
  const store = services.store();
  const lifetimes = services.lifetimes();
  const userCodes = services.userCodeKeys();
  return lambdaHandler(
    adminRoutes({
      auth: readAdminEnvironment(runtime.env),
      clients: store.clients,
      clock,
      logger: () => logger,
      login: () => ({ issuer: services.core.issuer, clock, clients: store.clients(), loginRequests: store.loginRequests() }),
      // No user address here: the caller is the login app, so only the global lookup limit applies.
      devices: () => ({
        clock,
        clients: store.clients(),
        devices: store.devices(),
        userCodes: userCodes(),
        rates: store.rates(),
        metrics: metrics(),
      }),
      revocations: lazy(() => ({
        clock,
        markers: store.markers(),
        families: store.families(),
        history: store.rotationHistory(),
        clients: store.clients(),
        lifetimes: lifetimes(),
      })),
    }),
    { logger, metrics },
  );
}

