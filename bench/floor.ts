import { newFamily } from '../functions/oauth/tokens/new-family.ts';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDbClientRepository } from '../functions/adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../functions/adapters/dynamodb/code-store.ts';
import { DynamoDbFamilyStore } from '../functions/adapters/dynamodb/family-store.ts';
import { DynamoDbRevocationMarkers } from '../functions/adapters/dynamodb/revocation-markers.ts';
import { defaultValues } from '../functions/lifetimes/parameters.ts';
import { epochSeconds, systemClock } from '../functions/oauth/clock.ts';
import { s256 } from '../functions/oauth/pkce.ts';
import { hashSecret } from '../functions/oauth/secrets.ts';
import type { Family, RotateRequest } from '../functions/oauth/tokens/family.ts';
import { newFamilyId, newRefreshSecret } from '../functions/oauth/tokens/refresh-token.ts';
import { commandOf, inputOf, type AnyCommand } from './capture.ts';
import { BENCH_PARAMETERS, type BenchEnvironment } from './environment.ts';
import { familyKey, inParallel, REDIRECT_URI, requireAttributes, type BenchClient, type BenchCode, type Item } from './fixtures.ts';
import { ownedBy, type Op } from './scenarios.ts';

/**
 * The floor: the DynamoDB calls a grant cannot do without, sent straight from the SDK client
 * (configured as the service's), at the same concurrency, with nothing around them. Each
 * command is built by the product's own adapter (captured, not sent), so its expressions and
 * attributes are exactly the service's.
 */

const DEFAULTS = defaultValues();

/** A family-shaped item the floor rotates, and where its chain stands. */
export interface FloorFamily {
  readonly familyId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly absoluteExpiresAt: number;
  generation: number;
  currentHash: string;
}

async function send(env: BenchEnvironment, command: AnyCommand, what: string): Promise<Record<string, unknown>> {
  try {
    return (await env.db.send(command)) as unknown as Record<string, unknown>;
  } catch (error) {
    throw new Error(`floor ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Copies of a real steady-state family item (every attribute, the rotation history included)
 * under new ids and secrets. Rotation times are moved a minute back so the rate condition
 * holds from the first write, as it does for the service's families.
 */
export async function floorFamilies(env: BenchEnvironment, real: Family, count: number): Promise<FloorFamily[]> {
  const read = await commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).get(real.familyId));
  const template = (await env.db.send(read)) as { Item?: Item };
  if (!template.Item) throw new Error(`family ${real.familyId} not found`);
  requireAttributes(template.Item, ['family_id', 'current_hash', 'rotations'], 'the family item');
  const past = epochSeconds(systemClock) - 60;
  const rotations: Item = {};
  for (const [generation, time] of Object.entries(template.Item['rotations']?.M ?? {})) {
    rotations[generation] = { N: String(Math.min(Number(time.N), past)) };
  }
  const families: FloorFamily[] = [];
  await inParallel(count, 16, async () => {
    const familyId = newFamilyId();
    const currentHash = hashSecret(newRefreshSecret());
    const item: Item = {
      ...template.Item,
      ...(await familyKey(env, familyId)),
      family_id: { S: familyId },
      current_hash: { S: currentHash },
      rotations: { M: rotations },
    };
    await env.db.send(new PutItemCommand({ TableName: env.tableName, Item: item }));
    families.push({ familyId, clientId: real.clientId, subject: real.subject, absoluteExpiresAt: real.absoluteExpiresAt, generation: real.generation, currentHash });
  });
  return families;
}

/** What refresh-token.ts asks the family store for, for a refresh of `family` now. */
export function rotateRequest(family: FloorFamily, nextHash: string, now: number): RotateRequest {
  const idle = DEFAULTS.refresh_token_idle_ttl;
  const limitedGeneration = family.generation + 1 - BENCH_PARAMETERS.refresh_rate_limit;
  return {
    familyId: family.familyId,
    clientId: family.clientId,
    generation: family.generation,
    absoluteExpiresAt: family.absoluteExpiresAt,
    presentedHash: family.currentHash,
    nextHash,
    now,
    idleCutoff: now - idle,
    expiresAt: Math.min(now + idle, family.absoluteExpiresAt),
    rotate: true,
    rotationId: randomUUID(),
    ...(limitedGeneration >= 1 && { rateLimit: { generation: limitedGeneration, windowStart: now - BENCH_PARAMETERS.rate_limit_window } }),
  };
}

export const rotateCommand = (env: BenchEnvironment, request: RotateRequest): Promise<AnyCommand> =>
  commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).rotate(request));

/**
 * Floor of a refresh as it is done now (sign before the write): the consistent GetItem of the
 * family, then its one conditional UpdateItem, on families owned per worker like the service's.
 * `readFirst: false` is the floor of the previous ordering (write, then sign): the UpdateItem alone.
 */
export function refreshFloorOp(env: BenchEnvironment, families: readonly FloorFamily[], concurrency: number, readFirst = true): Op {
  const owned = ownedBy(families, concurrency);
  const cursors = owned.map(() => 0);
  return async (worker) => {
    const mine = owned[worker]!;
    const family = mine[cursors[worker]!++ % mine.length]!;
    const nextHash = hashSecret(randomBytes(32).toString('base64url'));
    if (readFirst) {
      await send(env, await commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).get(family.familyId)), 'GetItem (family)');
      await send(env, await markersRead(env, family.subject, family.clientId), 'BatchGetItem (markers)');
    }
    await send(env, await rotateCommand(env, rotateRequest(family, nextHash, epochSeconds(systemClock))), 'UpdateItem (family)');
    family.generation += 1;
    family.currentHash = nextHash;
  };
}

/**
 * Floor of a refresh with a KMS-like signature: the family's GetItem, `signMs` of waiting (the
 * `Sign`), then its UpdateItem — and no markers read, which the service makes beside the signature.
 */
export function kmsLikeRefreshFloorOp(env: BenchEnvironment, families: readonly FloorFamily[], signMs: number): Op {
  const owned = ownedBy(families, 1);
  let cursor = 0;
  return async () => {
    const family = owned[0]![cursor++ % owned[0]!.length]!;
    const nextHash = hashSecret(randomBytes(32).toString('base64url'));
    await send(env, await commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).get(family.familyId)), 'GetItem (family)');
    await new Promise((resolve) => setTimeout(resolve, signMs));
    await send(env, await rotateCommand(env, rotateRequest(family, nextHash, epochSeconds(systemClock))), 'UpdateItem (family)');
    family.generation += 1;
    family.currentHash = nextHash;
  };
}

/**
 * Floor of a code exchange as it is done now: the consistent GetItem of the code, then one
 * TransactWriteItems that redeems it and creates the family. `readFirst: false` is the floor of
 * the previous ordering: the code's conditional UpdateItem, then the family's PutItem.
 */
export function codeFloorOp(env: BenchEnvironment, app: BenchClient, grant: Family, codes: BenchCode[], readFirst = true): Op {
  return async () => {
    const code = codes.pop();
    if (!code) throw new Error('the floor run used up its authorization codes');
    const now = epochSeconds(systemClock);
    const familyId = newFamilyId();
    const { family, expiresAt } = newFamily({
      clientId: app.clientId,
      grant,
      familyId,
      now,
      idleTtl: DEFAULTS.refresh_token_idle_ttl,
      absoluteTtl: DEFAULTS.refresh_token_absolute_ttl,
      rotation: true,
    });
    const store = (client: DynamoDBClient) => new DynamoDbCodeStore(client, env.tableName);
    const request = {
      codeHash: hashSecret(code.code),
      clientId: app.clientId,
      redirectUri: REDIRECT_URI,
      codeChallenge: s256(code.verifier),
      now,
      familyId,
      accessTokenId: randomUUID(),
    };
    if (readFirst) {
      await send(env, await commandOf((client) => store(client).get(request.codeHash)), 'GetItem (code)');
      await send(env, await markersRead(env, grant.subject, app.clientId), 'BatchGetItem (markers)');
      await send(env, await commandOf((client) => store(client).redeem(request, { family, expiresAt })), 'TransactWriteItems (code + family)');
      return;
    }
    await send(env, await commandOf((client) => store(client).redeem(request)), 'UpdateItem (code)');
    await send(env, await commandOf((client) => new DynamoDbFamilyStore(client, env.tableName).create(family, expiresAt)), 'PutItem (family)');
  };
}

/** The markers read a grant makes (the adapter's own BatchGetItem, without the legacy query it also makes once a minute). */
function markersRead(env: BenchEnvironment, subject: string, clientId: string): Promise<AnyCommand> {
  return commandOf((client) => new DynamoDbRevocationMarkers({ client, tableName: env.tableName, clock: systemClock }).times(subject, clientId));
}

/** Client credentials write nothing; the closest floor is reading the client item (what the 5 s client cache saves). */
export function clientReadFloorOp(env: BenchEnvironment, api: BenchClient): Op {
  return async () => {
    const read = await commandOf((client) => new DynamoDbClientRepository(client, env.tableName).get(api.clientId));
    const output = await send(env, read, 'GetItem (client)');
    if (!output['Item']) throw new Error(`floor GetItem found no client ${api.clientId} (${JSON.stringify(inputOf(read))})`);
  };
}

/**
 * The floor must write what the service writes: the same update, condition and placeholders
 * as the UpdateItem a steady-state refresh sent (recorded while counting calls).
 */
export async function assertSameWrite(env: BenchEnvironment, serviceWrite: Record<string, unknown> | undefined, family: FloorFamily): Promise<void> {
  if (!serviceWrite) throw new Error('no UpdateItem was recorded for a steady-state refresh');
  const floor = inputOf(await rotateCommand(env, rotateRequest(family, family.currentHash, epochSeconds(systemClock))));
  const shape = (input: Record<string, unknown>) =>
    JSON.stringify([
      input['UpdateExpression'],
      input['ConditionExpression'],
      Object.keys((input['ExpressionAttributeNames'] ?? {}) as object).sort(),
      Object.keys((input['ExpressionAttributeValues'] ?? {}) as object).sort(),
      input['ReturnValues'],
      input['ReturnValuesOnConditionCheckFailure'],
    ]);
  if (shape(floor) !== shape(serviceWrite)) {
    throw new Error(`the floor's UpdateItem is not the service's:\n floor   ${shape(floor)}\n service ${shape(serviceWrite)}`);
  }
}
