import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbClientRepository } from '../../functions/adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../../functions/adapters/dynamodb/code-store.ts';
import { HmacDpopNonces } from '../../functions/oauth/dpop/nonce.ts';
import { HmacSuccessorDeriver, HmacUserCodeKeys } from '../../functions/adapters/local/local-successor-deriver.ts';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../functions/adapters/local/local-key-signer.ts';
import { LifetimeConfigStore } from '../../functions/lifetimes/config.ts';
import { grantDependencies } from '../../functions/runtime/grant-dependencies.ts';
import { storeServices } from '../../functions/runtime/store.ts';
import type { Client } from '../../functions/oauth/clients/client.ts';
import { authorizationCodeGrant } from '../../functions/oauth/grants/authorization-code.ts';
import type { GrantDependencies } from '../../functions/oauth/grants/grant.ts';
import { refreshTokenGrant } from '../../functions/oauth/grants/refresh-token.ts';
import { s256 } from '../../functions/oauth/pkce.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import type { TokenResponse } from '../../functions/oauth/tokens/issue.ts';
import { memoryLogger } from '../../functions/observability/logger.ts';
import { memoryMetrics } from '../../functions/observability/metrics.ts';
import { clientRecord } from './clients.ts';
import { TestClock } from './clock.ts';
import { freshTable } from './dynamodb.ts';

/** DynamoDB commands sent through a client, by name, in order. */
export function countCalls(client: DynamoDBClient): string[] {
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return calls;
}

/**
 * The token grants wired to real DynamoDB Local stores, a local signer, a frozen clock and
 * lifetime parameters the test sets (`parameters`), for grant-level tests.
 */
export async function grantFixture() {
  const { client: dynamo, tableName } = await freshTable();
  const clock = new TestClock();
  const parameters = new Map<string, string>();
  const metrics = memoryMetrics();
  const logger = memoryLogger();
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-grants-'));
  const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, 'key.json'), 'ES256'));
  // Waits for its in-memory source when due (as the local file source does), so a parameter the
  // test sets applies to the first request after the clock moves, not the one after that.
  const lifetimes = new LifetimeConfigStore({
    source: { load: async () => new Map(parameters) },
    clock,
    logger,
    metrics,
    maxAgeMs: 1,
    refreshWaitMs: 1_000,
  });
  const client: Client = clientRecord({ scopes: ['openid', 'offline_access', 'read', 'write'], audiences: ['api'] });
  const clients = new DynamoDbClientRepository(dynamo, tableName);
  await clients.create(client);
  const codes = new DynamoDbCodeStore(dynamo, tableName);
  // The server-held key: successors and user-code keys, as one deployment has them.
  const serverKey = randomBytes(32);
  const userCodes = new HmacUserCodeKeys(serverKey);
  const deps: GrantDependencies = grantDependencies(storeServices({ tableName }, clock, dynamo), {
    issuer: 'https://auth.example.com',
    signer,
    clock,
    lifetimes,
    metrics,
    logger,
    successors: new HmacSuccessorDeriver(serverKey),
  });

  /**
   * A family from a real code exchange: returns the token response. `target` is what the code
   * grants (default: the audience `api`), `extra` adds to the token request (e.g. `resource`).
   */
  async function issue(
    scope = ['openid', 'offline_access', 'read'],
    options: { target?: { audience: string; resources?: string[] }; asClient?: Client; extra?: Record<string, string> } = {},
  ): Promise<TokenResponse> {
    const asClient = options.asClient ?? client;
    const code = randomBytes(32).toString('base64url');
    const verifier = randomBytes(40).toString('base64url');
    const now = clock.seconds;
    await codes.create(hashSecret(code), {
      clientId: asClient.clientId,
      redirectUri: asClient.redirectUris[0]!,
      codeChallenge: s256(verifier),
      subject: 'alice',
      scope,
      ...(options.target ?? { audience: 'api' }),
      authTime: now,
      createdAt: now,
      expiresAt: now + 60,
    });
    return authorizationCodeGrant.handle(
      {
        client: asClient,
        params: new Map([
          ['code', code],
          ['redirect_uri', asClient.redirectUris[0]!],
          ['code_verifier', verifier],
          ...Object.entries(options.extra ?? {}),
        ]),
      },
      deps,
    );
  }

  const refresh = (token: string, extra: Record<string, string> = {}, asClient: Client = client) =>
    refreshTokenGrant.handle({ client: asClient, params: new Map([['refresh_token', token], ...Object.entries(extra)]) }, deps);

  const nonces = new HmacDpopNonces(serverKey);
  return { dynamo, tableName, clock, parameters, metrics, logger, client, clients, deps, userCodes, nonces, issue, refresh };
}
