import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KmsSigningClient } from '../adapters/kms/kms-signer.ts';
import type { KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import type { SsmParametersClient } from '../adapters/ssm/ssm-parameter-source.ts';
import { systemClock, type Clock } from '../oauth/clock.ts';
import { jsonLogger, stdoutLines, type LineSink, type Logger } from '../observability/logger.ts';
import { emfMetrics, type Metrics } from '../observability/metrics.ts';
import {
  readCoreEnvironment,
  readParametersEnvironment,
  readSignerEnvironment,
  readStoreEnvironment,
  readSuccessorEnvironment,
  type CoreEnvironment,
  type Env,
} from './environment.ts';
import { lazy } from './lazy.ts';
import { lifetimesFromEnvironment } from './lifetimes.ts';
import { signerFromEnvironment } from './signer.ts';
import { storeServices } from './store.ts';
import { successorFromEnvironment, userCodeKeysFromEnvironment } from './successor.ts';

/**
 * What a handler is built from: its environment, its clock, and where its log and metric lines
 * go. In Lambda: `process.env`, the system clock and stdout; the local server and tests inject
 * their own, so a test can read what a handler logged and a passing run prints nothing.
 */
export interface HandlerRuntime {
  readonly env: Env;
  readonly clock: Clock;
  readonly write: LineSink;
  /**
   * SDK clients to use instead of building them (tests: DynamoDB through a fault proxy, fakes of
   * KMS and SSM, which have no emulator). @default built from the environment
   */
  readonly aws?: AwsClients;
}

/** The SDK clients a handler may be given. */
export interface AwsClients {
  readonly dynamodb?: DynamoDBClient;
  readonly kms?: KmsSigningClient & KmsMacClient;
  readonly ssm?: SsmParametersClient;
}

export function lambdaRuntime(env: Env = process.env): HandlerRuntime {
  return { env, clock: systemClock, write: stdoutLines };
}

/** Metrics that leave before the handler returns (Lambda may freeze the process right after). */
export type FlushedMetrics = Metrics & { flush(): void };

/**
 * The one builder of what handlers share. Each `…()` reads its part of the environment when it
 * is called — handlers call the ones they need at cold start, so a missing variable fails the
 * init, not a request — and returns services that connect on first use.
 */
export function handlerServices(runtime: HandlerRuntime) {
  const { env, clock, aws = {} } = runtime;
  const core: CoreEnvironment = readCoreEnvironment(env);
  const logger: Logger = jsonLogger(runtime.write);
  const metrics: () => FlushedMetrics = lazy(() => emfMetrics(core.stage, runtime.write));
  return {
    core,
    clock,
    logger,
    metrics,
    store: () => storeServices(readStoreEnvironment(env), clock, aws.dynamodb),
    signer: () => {
      const environment = readSignerEnvironment(env);
      return lazy(() => signerFromEnvironment(environment, aws.kms));
    },
    lifetimes: () => {
      const environment = readParametersEnvironment(env);
      return lazy(() => lifetimesFromEnvironment(core, environment, { clock, logger, metrics: metrics() }, aws.ssm));
    },
    successors: () => {
      const environment = readSuccessorEnvironment(env);
      return lazy(() => successorFromEnvironment(environment, aws.kms));
    },
    /** The storage keys of device user codes, from the same server-held key (another label). */
    userCodeKeys: () => {
      const environment = readSuccessorEnvironment(env);
      return lazy(() => userCodeKeysFromEnvironment(environment, aws.kms));
    },
  };
}

export type HandlerServices = ReturnType<typeof handlerServices>;
