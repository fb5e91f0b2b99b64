import { ssmClient } from './aws-clients.ts';
import { FileParameterSource } from '../adapters/local/file-parameter-source.ts';
import { SsmParameterSource, type SsmParametersClient } from '../adapters/ssm/ssm-parameter-source.ts';
import { LifetimeConfigStore } from '../lifetimes/config.ts';
import type { Clock } from '../oauth/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { CoreEnvironment, ParametersEnvironment } from './environment.ts';

/** Lifetimes from SSM (`/lifespan/<stage>/`, by path) in AWS, or from the local parameters file. */
export function lifetimesFromEnvironment(
  core: CoreEnvironment,
  environment: ParametersEnvironment,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly metrics: Metrics },
  client?: SsmParametersClient,
): LifetimeConfigStore {
  const source =
    environment.kind === 'ssm'
      ? new SsmParameterSource({ client: client ?? ssmClient(), stage: core.stage })
      : new FileParameterSource({ path: environment.file });
  return new LifetimeConfigStore({ source, maxAgeMs: environment.maxAgeMs, ...deps });
}
