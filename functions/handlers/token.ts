import { lambdaHandler } from '../http/handler.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import {
  readCoreEnvironment,
  readDeviceVerificationUrl,
  readParametersEnvironment,
  readSignerEnvironment,
  readStoreEnvironment,
  readSuccessorEnvironment,
} from '../runtime/environment.ts';
import { lazy } from '../runtime/lazy.ts';
import { lifetimesFromEnvironment } from '../runtime/lifetimes.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { storeServices } from '../runtime/store.ts';
import { successorFromEnvironment } from '../runtime/successor.ts';
import { IntrospectionCache } from '../oauth/introspection.ts';
import { deviceRoutes } from './device-routes.ts';
import { tokenRoutes } from './token-routes.ts';

const core = readCoreEnvironment(process.env);
const signerEnvironment = readSignerEnvironment(process.env);
const parametersEnvironment = readParametersEnvironment(process.env);
const successorEnvironment = readSuccessorEnvironment(process.env);
const store = storeServices(readStoreEnvironment(process.env), systemClock);
const metrics = lazy(() => emfMetrics(core.stage));

const signer = lazy(() => signerFromEnvironment(signerEnvironment));
const lifetimes = lazy(() =>
  lifetimesFromEnvironment(core, parametersEnvironment, { clock: systemClock, logger: jsonLogger, metrics: metrics() }),
);
const introspectionCache = new IntrospectionCache();

const grants = lazy(() => ({
  issuer: core.issuer,
  signer: signer(),
  clock: systemClock,
  lifetimes: lifetimes(),
  accessTokens: store.accessTokens(),
  families: store.families(),
  codes: store.codes(),
  devices: store.devices(),
  markers: store.markers(),
  successors: successorFromEnvironment(successorEnvironment),
  rates: store.rates(),
  metrics: metrics(),
  logger: jsonLogger,
}));

const inspection = () => ({
  issuer: core.issuer,
  clock: systemClock,
  signer: signer(),
  families: store.families(),
  accessTokens: store.accessTokens(),
  markers: store.markers(),
  lifetimes: lifetimes(),
  metrics: metrics(),
});

// Read on first use, not at cold start: /token, /revoke and /introspect do not need it.
const deviceVerificationUrl = readDeviceVerificationUrl(process.env);

/** Lambda entry of `POST /token`, `/device_authorization`, `/revoke` and `/introspect` (the only function allowed to sign). */
export const handler = lambdaHandler(
  {
    ...tokenRoutes({
      clients: store.cachedClients,
      grants,
      metrics,
      revocation: inspection,
      introspection: () => ({ ...inspection(), cache: introspectionCache }),
    }),
    ...deviceRoutes({ clients: store.cachedClients, authorization: () => ({ ...grants(), verificationUri: deviceVerificationUrl }), metrics }),
  },
  () => jsonLogger,
  metrics,
);
