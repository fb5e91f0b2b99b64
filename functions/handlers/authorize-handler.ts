import { lambdaHandler } from '../http/handler.ts';
import { readLoginUrl } from '../runtime/environment.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { authorizeRoutes } from './authorize-routes.ts';
import { storeFor } from '../runtime/store.ts';
import { signerFor } from '../runtime/signer.ts';
import { lifetimeConfigFor } from '../runtime/lifetimes.ts';
import { loginStores } from '../runtime/login-stores.ts';
import { securityEventsFor } from '../runtime/events.ts';

/** `GET /authorize` and `GET /logout` (browser-facing: the SSO session cookie). */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock, logger, metrics } = services;
  const loginUrl = readLoginUrl(runtime.env);
  const store = storeFor(services);
  const logins = loginStores(store);
  const signer = signerFor(services);
  const lifetimes = lifetimeConfigFor(services, securityEventsFor(services, store));
  const deps = lazy(() => ({
    issuer: core.issuer,
    loginUrl,
    clock,
    clients: store.cachedClients(),
    sessions: logins.sessions(),
    loginRequests: logins.loginRequests(),
    codes: store.codes(),
    markers: store.markers(),
    profiles: logins.profiles(),
    signer: signer(),
    lifetimes: lifetimes(),
  }));
  return lambdaHandler(authorizeRoutes(deps), { logger, metrics });
}

