import { lambdaHandler } from '../http/handler.ts';
import { IntrospectionCache } from '../oauth/introspection.ts';
import { readDeviceVerificationUrl } from '../runtime/environment.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { lazy } from '../runtime/lazy.ts';
import { deviceRoutes } from './device-routes.ts';
import { tokenRoutes } from './token-routes.ts';
import { dpopNoncesFor, successorsFor, userCodeKeysFor } from '../runtime/successor.ts';
import { storeFor } from '../runtime/store.ts';
import { grantDependencies, inspectDependencies } from '../runtime/grant-dependencies.ts';
import { signerFor } from '../runtime/signer.ts';
import { lifetimeConfigFor } from '../runtime/lifetimes.ts';
import { securityEventsFor } from '../runtime/events.ts';

/** `POST /token`, `/device_authorization`, `/revoke` and `/introspect`: the only function allowed to sign. */
export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock, logger, metrics } = services;
  const store = storeFor(services);
  const signer = signerFor(services);
  const events = securityEventsFor(services, store);
  const lifetimes = lifetimeConfigFor(services, events);
  const successors = successorsFor(services);
  const userCodes = userCodeKeysFor(services);
  const nonces = dpopNoncesFor(services);
  const deviceVerificationUrl = readDeviceVerificationUrl(runtime.env);
  const introspectionCache = new IntrospectionCache();

  const grants = lazy(() =>
    grantDependencies(store, {
      issuer: core.issuer,
      signer: signer(),
      clock,
      lifetimes: lifetimes(),
      successors: successors(),
      metrics: metrics(),
      logger,
      events: events(),
      forgetFamily: (familyId: string) => introspectionCache.forgetFamily(familyId),
    }),
  );
  const inspection = () => ({
    ...inspectDependencies(store, { issuer: core.issuer, clock, signer: signer(), lifetimes: lifetimes() }),
    metrics: metrics(),
  });

  return lambdaHandler(
    {
      ...tokenRoutes({
        clients: store.cachedClients,
        grants,
        metrics,
        nonces,
        revocation: () => ({ ...inspection(), cache: introspectionCache }),
        introspection: () => ({ ...inspection(), cache: introspectionCache }),
      }),
      ...deviceRoutes({
        clients: store.cachedClients,
        authorization: () => ({ ...grants(), verificationUri: deviceVerificationUrl, userCodes: userCodes() }),
        metrics,
      }),
    },
    { logger, metrics },
  );
}

