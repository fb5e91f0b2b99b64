import { ssmClient } from './ssm-client.ts';
import { FileParameterSource } from '../adapters/local/file-parameter-source.ts';
import { SsmParameterSource, type SsmParametersClient } from '../adapters/ssm/ssm-parameter-source.ts';
import { LifetimeConfigStore } from '../lifetimes/config.ts';
import type { Clock } from '../oauth/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SecurityEventRecorder } from '../events/recorder.ts';
import type { CoreEnvironment, ParametersEnvironment } from './environment.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { readParametersEnvironment } from './environment.ts';
import { lazy } from './lazy.ts';

/**
 * How long a request that finds the lifetimes due waits for the local parameters file. The file
 * is read in well under a millisecond, so an edit applies to the first request after the due
 * time, as it did before refreshes moved behind the requests; a stuck read costs a request this
 * much at most. SSM is never waited on once a snapshot exists (functions/lifetimes/config.ts).
 */
export const FILE_REFRESH_WAIT_MS = 1_000;

/** Lifetimes from SSM (`/lifespan/<stage>/`, by path) in AWS, or from the local parameters file. */
export function lifetimesFromEnvironment(
  core: CoreEnvironment,
  environment: ParametersEnvironment,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly metrics: Metrics; readonly events?: SecurityEventRecorder | undefined },
  client?: SsmParametersClient,
): LifetimeConfigStore {
  if (environment.kind === 'ssm') {
    const source = new SsmParameterSource({ client: client ?? ssmClient(), stage: core.stage });
    return new LifetimeConfigStore({ source, maxAgeMs: environment.maxAgeMs, ...deps });
  }
  // A build-time constant in the Lambda bundles: esbuild drops this branch and the file source.
  if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
    const source = new FileParameterSource({ path: environment.file });
    return new LifetimeConfigStore({ source, maxAgeMs: environment.maxAgeMs, refreshWaitMs: FILE_REFRESH_WAIT_MS, ...deps });
  }
  throw new TypeError('a local parameters file is not part of the Lambda bundle');
}

/** The lifetime configuration a handler uses: the environment is checked now, the source read on first use. */
export function lifetimeConfigFor(services: HandlerServices, events?: () => SecurityEventRecorder): () => LifetimeConfigStore {
  const environment = readParametersEnvironment(services.runtime.env);
  const { core, clock, logger, metrics } = services;
  return lazy(() =>
    lifetimesFromEnvironment(core, environment, { clock, logger, metrics: metrics(), events: events?.() }, services.runtime.aws?.ssm),
  );
}
