import { lambdaHandler } from '../http/handler.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { userinfoRoutes } from './userinfo-routes.ts';

/** `GET /userinfo`: verifies tokens with public keys; never signs. */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock, logger, metrics } = services;
  const store = services.store();
  const signer = services.signer();
  const lifetimes = services.lifetimes();
  const deps = lazy(() => ({
    issuer: core.issuer,
    clock,
    signer: signer(),
    families: store.families(),
    accessTokens: store.accessTokens(),
    markers: store.markers(),
    profiles: store.profiles(),
    lifetimes: lifetimes(),
  }));
  return lambdaHandler(userinfoRoutes(deps), { logger, metrics });
}

