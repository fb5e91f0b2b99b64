import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route } from '../routes.ts';
import { serve, type LambdaEntry } from './http-adapter.ts';

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
 * import of each handler module.
 */
export async function startLocalServer(options: {
  readonly environment: LocalEnvironment;
  readonly port: number;
  readonly host?: string;
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
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
