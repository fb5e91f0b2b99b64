import { lambdaHandler } from '../http/handler.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { userinfoRoutes } from './userinfo-routes.ts';
import { storeFor } from '../runtime/store.ts';
import { inspectDependencies } from '../runtime/grant-dependencies.ts';
import { signerFor } from '../runtime/signer.ts';
import { lifetimeConfigFor } from '../runtime/lifetimes.ts';
import { loginStores } from '../runtime/login-stores.ts';
import { securityEventsFor } from '../runtime/events.ts';

/** `GET /userinfo`: verifies tokens with public keys; never signs. */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock, logger, metrics } = services;
  const store = storeFor(services);
  const logins = loginStores(store);
  const signer = signerFor(services);
  const lifetimes = lifetimeConfigFor(services, securityEventsFor(services, store));
  const deps = lazy(() => ({
    ...inspectDependencies(store, { issuer: core.issuer, clock, signer: signer(), lifetimes: lifetimes() }),
    profiles: logins.profiles(),
    proofReplays: store.proofReplays(),
  }));
  return lambdaHandler(userinfoRoutes(deps), { logger, metrics });
}

