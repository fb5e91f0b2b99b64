import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { startLocalServer, type LocalServer } from '../../functions/local/server.ts';
import { freshTable, localDynamoClient } from './dynamodb.ts';
import { collectLines } from './output.ts';

export interface TestServer {
  readonly url: string;
  readonly adminToken: string;
  readonly tableName: string;
  readonly parametersFile: string;
  readonly server: LocalServer;
  /** fetch against the server, with the admin token when `admin` is set. */
  admin(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * The local server, in this test file's process, on the run's DynamoDB Local with a table of
 * its own. One per test file: handlers read the environment once, at import, as in Lambda.
 */
export async function startTestServer(
  options: {
    algorithm?: 'RS256' | 'ES256';
    parameters?: Record<string, unknown>;
    /** Another DynamoDB Local than the run's (a test that pauses it must not pause everyone's). */
    dynamoDbEndpoint?: string;
  } = {},
): Promise<TestServer> {
  const endpoint = options.dynamoDbEndpoint ?? inject('dynamoDbEndpoint');
  const { tableName } = await freshTable(localDynamoClient(endpoint));
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-test-'));
  const parametersFile = join(dir, 'parameters.json');
  await writeFile(parametersFile, JSON.stringify(options.parameters ?? {}));
  const port = await freePort();
  const adminToken = 'test-admin-token-0123456789abcdefghijklmnop';
  const server = await startLocalServer({
    port,
    write: collectLines,
    environment: {
      LIFESPAN_STAGE: 'test',
      LIFESPAN_ISSUER: `http://127.0.0.1:${port}`,
      LIFESPAN_TABLE: tableName,
      LIFESPAN_DYNAMODB_ENDPOINT: endpoint,
      LIFESPAN_SIGNER: 'local',
      LIFESPAN_LOCAL_KEY_FILE: join(dir, 'signing-key.json'),
      LIFESPAN_LOCAL_KEY_ALG: options.algorithm ?? 'RS256',
      LIFESPAN_PARAMETERS: 'file',
      LIFESPAN_PARAMETERS_FILE: parametersFile,
      LIFESPAN_ADMIN_AUTH: 'token',
      LIFESPAN_ADMIN_TOKEN: adminToken,
      LIFESPAN_SUCCESSOR_KEY_FILE: join(dir, 'successor-key'),
      LIFESPAN_PARAMETERS_CACHE_SECONDS: '1',
      LIFESPAN_LOGIN_URL: `http://127.0.0.1:${port}/login`,
      LIFESPAN_DEVICE_VERIFICATION_URL: `http://127.0.0.1:${port}/device`,
    },
  });
  return {
    url: server.url,
    adminToken,
    tableName,
    parametersFile,
    server,
    admin: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string> | undefined) },
      }),
  };
}
