import type { BenchClient, BenchCode, BenchFamily } from './fixtures.ts';
import { codeExchangeForm } from './fixtures.ts';
import { expectTokens, RequestFailed } from './http.ts';
import type { Transport } from './transport.ts';

/** The request a load worker sends next; it throws unless the answer is the expected success. */
export type Op = (worker: number) => Promise<void>;

/**
 * Families split between workers (family i belongs to worker i mod concurrency); each worker
 * takes its own families in turn, so every family's chain of refreshes is strictly sequential.
 */
export function ownedBy<T>(items: readonly T[], concurrency: number): T[][] {
  if (items.length < concurrency) throw new Error(`${items.length} items cannot be split between ${concurrency} workers`);
  const owned: T[][] = Array.from({ length: concurrency }, () => []);
  items.forEach((item, index) => owned[index % concurrency]!.push(item));
  return owned;
}

function roundRobin<T>(owned: T[][]): (worker: number) => T {
  const cursors = owned.map(() => 0);
  return (worker) => {
    const mine = owned[worker]!;
    const item = mine[cursors[worker]! % mine.length]!;
    cursors[worker]! += 1;
    return item;
  };
}

/** `grant_type=refresh_token` with rotation: each answer's refresh token is the family's next request. */
/** Extra headers per request (a DPoP proof, made before the run so its signing is not measured). */
export type ExtraHeaders = () => Record<string, string>;
const none: ExtraHeaders = () => ({});

export function refreshOp(transport: Transport, app: BenchClient, families: readonly BenchFamily[], concurrency: number, extra: ExtraHeaders = none): Op {
  const next = roundRobin(ownedBy(families, concurrency));
  return async (worker) => {
    const family = next(worker);
    const body = await transport
      .post('/token', { grant_type: 'refresh_token', refresh_token: family.token }, { authorization: app.authorization, ...extra() })
      .catch((error: unknown) => {
        if (error instanceof RequestFailed && error.status === 429) {
          error.message += ` — each family may rotate 20 times per 2 s: raise BENCH_FAMILIES (now ${families.length})`;
        }
        throw error;
      });
    const tokens = expectTokens('refresh', body, ['access_token', 'refresh_token']);
    if (tokens['refresh_token'] === family.token) throw new RequestFailed('refresh (not rotated)', 200, JSON.stringify(body));
    family.token = tokens['refresh_token']!;
  };
}

export function clientCredentialsOp(transport: Transport, api: BenchClient, extra: ExtraHeaders = none): Op {
  return async () => {
    const body = await transport.post('/token', { grant_type: 'client_credentials' }, { authorization: api.authorization, ...extra() });
    expectTokens('client_credentials', body, ['access_token']);
  };
}

/** The code exchange alone: each request redeems one code made before the run. */
export function codeExchangeOp(transport: Transport, app: BenchClient, codes: BenchCode[]): Op {
  return async () => {
    const code = codes.pop();
    if (!code) throw new Error('the run used up its authorization codes');
    const body = await transport.post('/token', codeExchangeForm(code), { authorization: app.authorization });
    expectTokens('authorization_code', body, ['access_token', 'id_token', 'refresh_token']);
  };
}
