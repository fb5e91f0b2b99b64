import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { startLocalServer, type LocalEnvironment, type LocalServer } from '../../functions/local/server.ts';
import { freshTable, localDynamoClient } from './dynamodb.ts';
import type { LineSink } from '../../functions/observability/logger.ts';
import { collectLines } from './output.ts';

export interface TestServer {
  readonly url: string;
  readonly adminToken: string;
  readonly tableName: string;
  readonly parametersFile: string;
  /** Where the events function appends every security event (events.jsonl). */
  readonly eventsFile: string;
  readonly server: LocalServer;
  /** What its handlers were built from. */
  readonly environment: LocalEnvironment;
  /** fetch against the server, with the admin token when `admin` is set. */
  admin(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Another set of the same functions: the same environment (issuer, table, keys, parameters),
 * handler instances of their own with their own caches, on another port — what a second Lambda
 * execution environment of each function is in AWS.
 */
export async function startSecondInstance(of: TestServer): Promise<TestServer> {
  // The table's stream has one consumer, as the stack's one event source mapping: the first server's.
  const server = await startLocalServer({ port: await freePort(), write: collectLines, environment: of.environment, rotationHistory: false });
  return serverView(server, of.environment, of.tableName, of.parametersFile, of.adminToken);
}

/**
 * The local server, in this test file's process, on the run's DynamoDB Local with a table of
 * its own. Its handlers are built from their own environment, as Lambda builds them at cold start.
 */
export async function startTestServer(
  options: {
    algorithm?: 'RS256' | 'ES256';
    parameters?: Record<string, unknown>;
    /** Another DynamoDB Local than the run's (a test that pauses it must not pause everyone's). */
    dynamoDbEndpoint?: string;
    /** SDK clients for one group's handler (what each function calls). */
    awsFor?: Parameters<typeof startLocalServer>[0]['awsFor'];
    /** A signed SET in each security event's detail (the stack's securityEventTokens prop). */
    securityEventTokens?: boolean;
    /** Where the events function also POSTs each event (LIFESPAN_EVENTS_URL). */
    eventsUrl?: string;
    /** Where the events function publishes, instead of events.jsonl. */
    events?: Parameters<typeof startLocalServer>[0]['events'];
    /** Poll the table's stream for the events function (off for the benchmark). @default true */
    rotationHistory?: boolean;
    /** Where the handlers' lines go (the benchmark writes them out, as Lambda does). @default collectLines */
    write?: LineSink;
  } = {},
): Promise<TestServer> {
  const endpoint = options.dynamoDbEndpoint ?? inject('dynamoDbEndpoint');
  const { tableName } = await freshTable(localDynamoClient(endpoint));
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-test-'));
  const parametersFile = join(dir, 'parameters.json');
  await writeFile(parametersFile, JSON.stringify(options.parameters ?? {}));
  const port = await freePort();
  const adminToken = 'test-admin-token-0123456789abcdefghijklmnop';
  const environment: LocalEnvironment = {
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
      LIFESPAN_EVENTS: 'file',
      LIFESPAN_EVENTS_FILE: join(dir, 'events.jsonl'),
      ...(options.eventsUrl !== undefined && { LIFESPAN_EVENTS_URL: options.eventsUrl }),
      ...(options.securityEventTokens && { LIFESPAN_SECURITY_EVENT_TOKENS: 'true' }),
  };
  const server = await startLocalServer({
    port,
    write: options.write ?? collectLines,
    environment,
    ...(options.awsFor && { awsFor: options.awsFor }),
    ...(options.events && { events: options.events }),
    ...(options.rotationHistory !== undefined && { rotationHistory: options.rotationHistory }),
  });
  return serverView(server, environment, tableName, parametersFile, adminToken);
}

function serverView(server: LocalServer, environment: LocalEnvironment, tableName: string, parametersFile: string, adminToken: string): TestServer {
  return {
    url: server.url,
    adminToken,
    tableName,
    parametersFile,
    eventsFile: environment.LIFESPAN_EVENTS_FILE ?? '',
    server,
    environment,
    admin: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string> | undefined) },
      }),
  };
}
