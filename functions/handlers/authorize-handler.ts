import { lambdaHandler } from '../http/handler.ts';
import { readLoginUrl } from '../runtime/environment.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { authorizeRoutes } from './authorize-routes.ts';

/** `GET /authorize` and `GET /logout` (browser-facing: the SSO session cookie). */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock, logger, metrics } = services;
  const loginUrl = readLoginUrl(runtime.env);
  const store = services.store();
  const signer = services.signer();
  const lifetimes = services.lifetimes();
  const deps = lazy(() => ({
    issuer: core.issuer,
    loginUrl,
    clock,
    clients: store.cachedClients(),
    sessions: store.sessions(),
    loginRequests: store.loginRequests(),
    codes: store.codes(),
    markers: store.markers(),
    profiles: store.profiles(),
    signer: signer(),
    lifetimes: lifetimes(),
  }));
  return lambdaHandler(authorizeRoutes(deps), { logger, metrics });
}

