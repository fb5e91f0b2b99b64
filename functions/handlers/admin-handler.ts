import { lambdaHandler } from '../http/handler.ts';
import { readAdminEnvironment } from '../runtime/environment.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { adminRoutes } from './admin-routes.ts';
import { userCodeKeysFor } from '../runtime/successor.ts';
import { storeFor } from '../runtime/store.ts';
import { lifetimeConfigFor } from '../runtime/lifetimes.ts';
import { loginStores } from '../runtime/login-stores.ts';
import { rotationHistoryStore } from '../runtime/history-store.ts';
import { securityEventsFor } from '../runtime/events.ts';

/** The admin API (IAM-authorized in AWS, bearer token locally). */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { clock, logger, metrics } = services;
  const store = storeFor(services);
  const history = rotationHistoryStore(store);
  const logins = loginStores(store);
  const events = securityEventsFor(services, store);
  const lifetimes = lifetimeConfigFor(services, events);
  const userCodes = userCodeKeysFor(services);
  return lambdaHandler(
    adminRoutes({
      auth: readAdminEnvironment(runtime.env),
      clients: store.clients,
      clock,
      logger: () => logger,
      login: () => ({ issuer: services.core.issuer, clock, clients: store.clients(), loginRequests: logins.loginRequests(), lifetimes: lifetimes() }),
      // No user address here: the caller is the login app, so only the global lookup limit applies.
      devices: () => ({
        clock,
        clients: store.clients(),
        devices: store.devices(),
        userCodes: userCodes(),
        rates: store.rates(),
        metrics: metrics(),
        lifetimes: lifetimes(),
        events: events(),
      }),
      revocations: lazy(() => ({
        clock,
        markers: store.markers(),
        families: store.families(),
        history: history(),
        clients: store.clients(),
        lifetimes: lifetimes(),
        events: events(),
      })),
      users: lazy(() => ({
        clock,
        index: logins.subjectIndex(),
        markers: store.markers(),
        lifetimes: lifetimes(),
        families: store.families(),
        sessions: logins.sessions(),
        profiles: logins.profiles(),
      })),
    }),
    { logger, metrics },
  );
}

