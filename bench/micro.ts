import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../functions/adapters/local/local-key-signer.ts';
import { epochSeconds, systemClock } from '../functions/oauth/clock.ts';
import { verifyDpopProof } from '../functions/oauth/dpop/proof.ts';
import { dynamoDbClient } from '../functions/runtime/dynamodb-client.ts';
import { median, round } from './load.ts';

/** CPU of single operations, µs per call, by algorithm. */
export interface Micro {
  /** `LocalKeySigner.signJwt` of a typical access token (on libuv's thread pool; its CPU counts all the same). */
  readonly signUs: Record<string, number>;
  /** `verifyDpopProof`: header, embedded key, signature, claims, thumbprint. */
  readonly dpopVerifyUs: Record<string, number>;
  /**
   * One consistent `GetItem` of a family from DynamoDB Local, sequential: through the product's
   * SDK client (`sdk`), and the very request it signed sent again by bare node:http with a
   * keep-alive agent (`bareHttp`): what a call costs that no client could save.
   */
  readonly dynamoDbGetItemUs: { readonly sdk: number; readonly bareHttp: number };
}

/** Where {@link measureMicro} reads a family item. */
export interface MicroTable {
  readonly endpoint: string;
  readonly tableName: string;
  readonly familyId: string;
}

const HTU = 'https://auth.example.com/token';

/** Median over 5 parts of `calls` sequential calls of this process's CPU per call: a GC or a neighbour in one part does not move it. */
async function cpuPerCall(calls: number, call: () => Promise<unknown>, warmup = Math.min(200, calls)): Promise<number> {
  for (let index = 0; index < warmup; index += 1) await call();
  const part = Math.max(1, Math.floor(calls / 5));
  const perCall: number[] = [];
  for (let index = 0; index < 5; index += 1) {
    const before = process.cpuUsage();
    for (let call_ = 0; call_ < part; call_ += 1) await call();
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / part);
  }
  return round(median(perCall), 0);
}

/** The SDK's code paths take a few thousand calls to be compiled: both sides are measured warm. */
const GET_ITEM_CALLS = 2000;
const GET_ITEM_WARMUP = 2000;

async function getItemUs(table: MicroTable): Promise<Micro['dynamoDbGetItemUs']> {
  const client = dynamoDbClient({ endpoint: table.endpoint });
  let signed: { headers: Record<string, string>; body: string } | undefined;
  client.middlewareStack.add(
    (next) => async (args) => {
      const { headers, body } = args.request as { headers: Record<string, string>; body: string };
      signed ??= { headers: { ...headers }, body };
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCapture' },
  );
  const command = new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `FAMILY#${table.familyId}` }, sk: { S: 'FAMILY' } }, ConsistentRead: true });
  const sdk = await cpuPerCall(
    GET_ITEM_CALLS,
    async () => {
      if (!(await client.send(command)).Item) throw new Error('micro: the family is not in the table');
    },
    GET_ITEM_WARMUP,
  );
  client.destroy();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(table.endpoint);
  const bare = () =>
    new Promise<void>((resolve, reject) => {
      const outgoing = request({ host: hostname, port, method: 'POST', path: '/', headers: signed!.headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => (response.statusCode === 200 && JSON.parse(Buffer.concat(chunks).toString()).Item ? resolve() : reject(new Error(`micro: bare GetItem answered ${response.statusCode}`))));
      });
      outgoing.on('error', reject);
      outgoing.end(signed!.body);
    });
  const bareHttp = await cpuPerCall(GET_ITEM_CALLS, bare, GET_ITEM_WARMUP);
  agent.destroy();
  return { sdk, bareHttp };
}

export async function measureMicro(calls: number, table: MicroTable): Promise<Micro> {
  const signUs: Record<string, number> = {};
  const dpopVerifyUs: Record<string, number> = {};
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-bench-keys-'));
  try {
    for (const alg of ['RS256', 'ES256'] as const) {
      const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, `${alg}.json`), alg));
      const now = epochSeconds(systemClock);
      const claims = { iss: 'https://auth.example.com', sub: 'bench-user', aud: 'orders-api', exp: now + 900, iat: now, jti: randomUUID(), client_id: 'bench-app', scope: 'openid offline_access orders:read' };
      signUs[alg] = await cpuPerCall(calls, () => signer.signJwt(claims, 'at+jwt'));

      const { privateKey, publicKey } = await generateKeyPair(alg);
      const jwk = await exportJWK(publicKey);
      const proofs = await Promise.all(
        Array.from({ length: calls + 200 }, () => new SignJWT({ htm: 'POST', htu: HTU, iat: now, jti: randomUUID() }).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).sign(privateKey)),
      );
      dpopVerifyUs[alg] = await cpuPerCall(calls, () => verifyDpopProof(proofs.pop()!, { method: 'POST', url: HTU, now, skew: 30 }));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { signUs, dpopVerifyUs, dynamoDbGetItemUs: await getItemUs(table) };
}
