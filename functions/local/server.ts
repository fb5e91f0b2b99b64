import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchResponse, StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { jsonLogger } from '../observability/logger.ts';
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
  readonly LIFESPAN_MARKER_SYNC_SECONDS: string;
}

export interface LocalServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the real Lambda handlers over HTTP. The handlers read their configuration from
 * `process.env` at import, exactly as in Lambda, so the environment is set before the first
 * import of each handler module. The table's stream goes to the rotation-history handler, as
 * the stack's event source mapping does in AWS.
 */
export async function startLocalServer(options: {
  readonly environment: LocalEnvironment;
  readonly port: number;
  readonly host?: string;
  /**
   * Poll the table's stream for the rotation history. Off only where a measurement must not
   * share DynamoDB Local with it (the benchmark): in AWS it is another function.
   * @default true
   */
  readonly rotationHistory?: boolean;
}): Promise<LocalServer> {
  Object.assign(process.env, options.environment);
  const handlers = new Map<Route['group'], Promise<LambdaEntry>>();
  const loadHandler = (group: Route['group']): Promise<LambdaEntry> => {
    let entry = handlers.get(group);
    if (!entry) {
      entry = import(`../handlers/${group}.ts`).then((module: { handler: LambdaEntry }) => module.handler);
      handlers.set(group, entry);
    }
    return entry;
  };
  const server = createServer((request, response) => {
    serve(request, response, loadHandler).catch((error: unknown) => {
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
    type StreamEntry = (event: { readonly Records: readonly StreamRecord[] }) => Promise<BatchResponse>;
    const history = import('../handlers/rotation-history.ts').then((module: { handler: StreamEntry }) => module.handler);
    poller = startStreamPoller({
      endpoint: options.environment.LIFESPAN_DYNAMODB_ENDPOINT,
      tableName: options.environment.LIFESPAN_TABLE,
      handler: async (event) => (await history)(event),
      logger: jsonLogger,
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
