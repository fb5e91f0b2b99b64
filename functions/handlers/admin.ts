import { lambdaHandler } from '../http/handler.ts';
import { readAdminEnvironment } from '../runtime/environment.ts';
import { handlerServices, lambdaRuntime, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { adminRoutes } from './admin-routes.ts';

/** The admin API (IAM-authorized in AWS, bearer token locally). */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { clock, logger, metrics } = services;
  const store = services.store();
  const lifetimes = services.lifetimes();
  return lambdaHandler(
    adminRoutes({
      auth: readAdminEnvironment(runtime.env),
      clients: store.clients,
      clock,
      logger: () => logger,
      login: () => ({ issuer: services.core.issuer, clock, clients: store.clients(), loginRequests: store.loginRequests() }),
      devices: () => ({ clock, clients: store.clients(), devices: store.devices() }),
      revocations: lazy(() => ({
        clock,
        markers: store.markers(),
        families: store.families(),
        history: store.rotationHistory(),
        clients: store.clients(),
        lifetimes: lifetimes(),
      })),
      users: lazy(() => ({
        clock,
        index: store.subjectIndex(),
        markers: store.markers(),
        lifetimes: lifetimes(),
        families: store.families(),
        sessions: store.sessions(),
        profiles: store.profiles(),
      })),
    }),
    { logger, metrics },
  );
}

/** Lambda entry: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
