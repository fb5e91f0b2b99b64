import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { DynamoDbFamilyStore } from '../functions/adapters/dynamodb/family-store.ts';
import { DynamoDbRevocationMarkers } from '../functions/adapters/dynamodb/revocation-markers.ts';
import { defaultValues } from '../functions/lifetimes/parameters.ts';
import { epochSeconds, systemClock } from '../functions/oauth/clock.ts';
import { hashSecret, randomSecret } from '../functions/oauth/secrets.ts';
import { decodeRefreshToken } from '../functions/oauth/tokens/refresh-token.ts';
import { localDynamoClient } from '../test/support/dynamodb.ts';
import { basic } from '../test/support/flows.ts';
import { BENCH_PARAMETERS } from './config.ts';
import type { RequestPlan } from './load.ts';
import type { Credentials } from './servers.ts';

/** DPoP proofs (ES256) for POST `htu`, made before each slice: signing them is the client's work, not counted. */
export class Proofs {
  readonly #jwk: JWK;
  readonly #htu: string;
  #key: Promise<CryptoKey> | undefined;
  #ready: string[] = [];

  constructor(privateJwk: JWK, htu: string) {
    this.#jwk = privateJwk;
    this.#htu = htu;
  }

  async prepare(amount: number): Promise<void> {
    const key = await (this.#key ??= importJWK(this.#jwk, 'ES256') as Promise<CryptoKey>);
    const { d: _private, ...jwk } = this.#jwk;
    const iat = epochSeconds(systemClock);
    this.#ready = await Promise.all(
      Array.from({ length: amount }, () => new SignJWT({ htm: 'POST', htu: this.#htu, iat, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(key)),
    );
  }

  next(): string {
    const proof = this.#ready.pop();
    if (!proof) throw new Error('more requests than proofs made for the slice');
    return proof;
  }
}

/** `grant_type=client_credentials`, authenticated with client_secret_basic; with `proofs`, one DPoP proof per request. */
export function clientCredentials(client: Credentials, proofs?: Proofs): RequestPlan {
  const authorization = basic(client.client_id, client.client_secret);
  const answered = (json: Record<string, unknown> | undefined) => {
    if (json && typeof json['access_token'] !== 'string') throw new Error(`client_credentials answered without an access token: ${JSON.stringify(json)}`);
  };
  return {
    next: () => ({ body: 'grant_type=client_credentials', headers: { authorization, ...(proofs && { dpop: proofs.next() }) }, answered }),
    ...(proofs && { prepare: (amount: number) => proofs.prepare(amount) }),
  };
}

/**
 * `grant_type=refresh_token` over a pool of families: a request takes an idle family and gives
 * it back with the rotated token its answer carries, so every family's chain is sequential
 * (a second use of a superseded token would revoke it) and the pool goes round in turn.
 */
export function refresh(client: Credentials, tokens: readonly string[], proofs?: Proofs): RequestPlan {
  const authorization = basic(client.client_id, client.client_secret);
  const idle = tokens.map((token) => ({ token }));
  return {
    next: () => {
      const family = idle.shift();
      if (!family) throw new Error('more concurrent refreshes than families');
      return {
        body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(family.token)}`,
        headers: { authorization, ...(proofs && { dpop: proofs.next() }) },
        answered: (json) => {
          idle.push(family);
          if (!json) return;
          const next = json['refresh_token'];
          if (typeof json['access_token'] !== 'string' || typeof next !== 'string' || next === family.token) {
            throw new Error(`a refresh answered without a rotated refresh token: ${JSON.stringify(json)}`);
          }
          family.token = next;
        },
      };
    },
    ...(proofs && { prepare: (amount: number) => proofs.prepare(amount) }),
  };
}

/**
 * The floor of a refresh: the DynamoDB calls it cannot do without, made by the product's own
 * adapters from this process with nothing around them — the family's consistent GetItem, the
 * markers' BatchGetItem, and the one conditional UpdateItem that rotates (the same condition,
 * rate limit and listing as the grant's write), on families of its own taken in turn.
 */
export function refreshFloor(endpoint: string, tableName: string, tokens: readonly string[]): () => Promise<void> {
  const client = localDynamoClient(endpoint);
  const families = new DynamoDbFamilyStore(client, tableName);
  const markers = new DynamoDbRevocationMarkers({ client, tableName, clock: systemClock });
  const idle = tokens.map((token) => decodeRefreshToken(token)!.familyId);
  const idleTtl = defaultValues().refresh_token_idle_ttl;
  return async () => {
    const familyId = idle.shift()!;
    const family = await families.get(familyId);
    if (!family) throw new Error(`floor: no family ${familyId}`);
    await markers.validAfter(family.subject, family.clientId);
    const now = epochSeconds(systemClock);
    const limited = family.generation + 1 - BENCH_PARAMETERS.refresh_rate_limit;
    const result = await families.rotate({
      familyId,
      clientId: family.clientId,
      generation: family.generation,
      absoluteExpiresAt: family.absoluteExpiresAt,
      presentedHash: family.currentHash,
      nextHash: hashSecret(randomSecret()),
      now,
      idleCutoff: now - idleTtl,
      expiresAt: Math.min(now + idleTtl, family.absoluteExpiresAt),
      rotate: true,
      rotationId: randomUUID(),
      listedAs: { subject: family.subject, createdAt: family.createdAt },
      ...(limited >= 1 && { rateLimit: { generation: limited, windowStart: now - BENCH_PARAMETERS.rate_limit_window } }),
    });
    if (result.outcome !== 'rotated') throw new Error(`floor: the rotation of ${familyId} was refused`);
    idle.push(familyId);
  };
}
