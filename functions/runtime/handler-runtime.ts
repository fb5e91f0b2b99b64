import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../events/publisher.ts';
import type { KmsSigningClient } from '../adapters/kms/kms-signer.ts';
import type { KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import type { SsmParametersClient } from '../adapters/ssm/ssm-parameter-source.ts';
import { systemClock, type Clock } from '../oauth/clock.ts';
import { jsonLogger, stdoutLines, type LineSink, type Logger } from '../observability/logger.ts';
import { emfMetrics, type Metrics } from '../observability/metrics.ts';
import { readCoreEnvironment, type CoreEnvironment, type Env } from './environment.ts';
import { lazy } from './lazy.ts';

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
  readonly aws?: AwsClients | undefined;
  /**
   * Where the events function publishes, instead of what the environment says (EventBridge, or
   * locally events.jsonl): a test can read the events. @default built from the environment
   */
  readonly events?: EventPublisher | undefined;
}

/** The SDK clients a handler may be given. */
export interface AwsClients {
  readonly dynamodb?: DynamoDBClient;
  readonly kms?: KmsSigningClient & KmsMacClient;
  readonly ssm?: SsmParametersClient;
  readonly eventbridge?: Pick<EventBridgeClient, 'send'>;
}

export function lambdaRuntime(env: Env = process.env): HandlerRuntime {
  return { env, clock: systemClock, write: stdoutLines };
}

/** Metrics that leave before the handler returns (Lambda may freeze the process right after). */
export type FlushedMetrics = Metrics & { flush(): void };

/**
 * The one builder of what every handler shares: its core environment, clock, logger and
 * metrics. The services a handler also needs are built from this by `storeFor`, `signerFor`,
 * `lifetimeConfigFor`, `successorsFor` and `userCodeKeysFor` (each in the module of its
 * adapter, so a function bundles only the SDK clients it uses). Each reads its part of the
 * environment when it is called — handlers call them at cold start, so a missing variable fails
 * the init, not a request — and returns services that connect on first use.
 */
export function handlerServices(runtime: HandlerRuntime) {
  const { env, clock } = runtime;
  const core: CoreEnvironment = readCoreEnvironment(env);
  const logger: Logger = jsonLogger(runtime.write);
  const metrics: () => FlushedMetrics = lazy(() => emfMetrics(core.stage, runtime.write));
  return {
    core,
    clock,
    logger,
    metrics,
    runtime,
  };
}

export type HandlerServices = ReturnType<typeof handlerServices>;
