import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger, stdoutLines, type LineSink } from '../observability/logger.ts';
import type { Env } from '../runtime/environment.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { AwsClients, HandlerRuntime } from '../runtime/handler-runtime.ts';
import type { Route } from '../routes.ts';
import { serve, type LambdaEntry } from './http-adapter.ts';
import { startStreamPoller, type StreamPoller } from './stream-poller.ts';

/** The variables the handlers read at cold start, as the CDK stack sets them in AWS. */
export interface LocalEnvironment {
  readonly LIFESPAN_STAGE: string;
  readonly LIFESPAN_ISSUER: string;
  readonly LIFESPAN_TABLE: string;
  readonly LIFESPAN_DYNAMODB_ENDPOINT: string;
  readonly LIFESPAN_SIGNER: 'local';
  readonly LIFESPAN_LOCAL_KEY_FILE: string;
  readonly LIFESPAN_LOCAL_KEY_ALG: 'RS256' | 'ES256';
  readonly LIFESPAN_PARAMETERS: 'file';
  readonly LIFESPAN_PARAMETERS_FILE: string;
  readonly LIFESPAN_ADMIN_AUTH: 'token';
  readonly LIFESPAN_ADMIN_TOKEN: string;
  readonly LIFESPAN_SUCCESSOR_KEY_FILE: string;
  readonly LIFESPAN_LOGIN_URL: string;
  readonly LIFESPAN_DEVICE_VERIFICATION_URL: string;
  readonly LIFESPAN_PARAMETERS_CACHE_SECONDS: string;
  /** Security events locally: `file` (`LIFESPAN_EVENTS_FILE`, events.jsonl). Needed when the stream is polled. */
  readonly LIFESPAN_EVENTS?: 'file';
  readonly LIFESPAN_EVENTS_FILE?: string;
  readonly LIFESPAN_EVENTS_URL?: string;
  readonly LIFESPAN_SECURITY_EVENT_TOKENS?: 'true' | 'false';
}

export interface LocalServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the real Lambda handlers over HTTP. The handlers read their configuration from
 * `process.env` at import, exactly as in Lambda, so the environment is set before the first
 * import of each handler module. The table's stream goes to the events handler (security
 * events and the rotation history), as the stack's event source mapping does in AWS.
 */
export async function startLocalServer(options: {
  readonly environment: LocalEnvironment;
  readonly port: number;
  readonly host?: string;
  /**
   * Poll the table's stream for the events function (security events and the rotation history).
   * Off only where a measurement must not share DynamoDB Local with it (the benchmark): in AWS it
   * is another function.
   * @default true
   */
  readonly rotationHistory?: boolean;
  /** Where the handlers' log and metric lines go. @default stdout, as in Lambda */
  readonly write?: LineSink;
  /** SDK clients for the handlers (tests: fault proxies and fakes). @default built from the environment */
  readonly aws?: AwsClients;
  /** Where the events function publishes (tests). @default the environment's: events.jsonl */
  readonly events?: EventPublisher;
  /** SDK clients for one group's handler (or the events function's) only, over `aws` (tests: what each function calls). */
  readonly awsFor?: (group: Route['group'] | 'events') => AwsClients | undefined;
}): Promise<LocalServer> {
  // Each module's own Lambda entry is built from process.env when it is first imported.
  Object.assign(process.env, options.environment);
  const runtime: HandlerRuntime = {
    env: options.environment as unknown as Env,
    clock: systemClock,
    write: options.write ?? stdoutLines,
    aws: options.aws,
    events: options.events,
  };
  // Handlers of this server, built from its own environment and output: two servers in one
  // process are two sets of Lambda functions, each with its own caches.
  const handlers = new Map<Route['group'], Promise<LambdaEntry>>();
  const loadHandler = (group: Route['group']): Promise<LambdaEntry> => {
    let entry = handlers.get(group);
    if (!entry) {
      const own = options.awsFor?.(group);
      const groupRuntime: HandlerRuntime = own ? { ...runtime, aws: { ...runtime.aws, ...own } } : runtime;
      entry = import(`../handlers/${group}-handler.ts`).then((module: { createHandler: (runtime: HandlerRuntime) => LambdaEntry }) =>
        module.createHandler(groupRuntime),
      );
      handlers.set(group, entry);
    }
    return entry;
  };
  const logger = jsonLogger(runtime.write);
  const server = createServer((request, response) => {
    serve(request, response, loadHandler, logger).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let poller: StreamPoller | undefined;
  if (options.rotationHistory ?? true) {
    const own = options.awsFor?.('events');
    const eventsRuntime: HandlerRuntime = own ? { ...runtime, aws: { ...runtime.aws, ...own } } : runtime;
    const events = import('../handlers/events-handler.ts').then((module) => module.createHandler(eventsRuntime));
    poller = startStreamPoller({
      endpoint: options.environment.LIFESPAN_DYNAMODB_ENDPOINT,
      tableName: options.environment.LIFESPAN_TABLE,
      handler: async (event) => (await events)(event),
      logger,
    });
  }
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: async () => {
      await poller?.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
