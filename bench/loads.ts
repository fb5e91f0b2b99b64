import { CONFIG } from './config.ts';
import type { BenchEnvironment } from './environment.ts';
import { cloneCodes, familyOf, type BenchClient, type BenchFamily, type Item } from './fixtures.ts';
import { clientReadFloorOp, codeFloorOp, floorFamilies, kmsLikeRefreshFloorOp, refreshFloorOp, type FloorFamily } from './floor.ts';
import type { HttpClient } from './http.ts';
import { runInterleaved } from './load.ts';
import type { CallRecorder } from './recorder.ts';
import type { LoadRow, Results } from './report.ts';
import { clientCredentialsOp, codeExchangeOp, refreshOp, type Op } from './scenarios.ts';
import { round } from './stats.ts';
import { handlerTransport, httpTransport } from './transport.ts';

type Grant = LoadRow['grant'];

/** A KMS `Sign` in-region takes about this long (published typical latencies: 5–15 ms). */
const KMS_LIKE_SIGN_MS = 8;

/** Codes a code-exchange run may spend warming up. */
const WARMUP_CODES = 100;

/**
 * Every load run, concurrency by concurrency: for each grant the service over HTTP, (for the
 * refresh) its Lambda handler called directly, and the floor, in alternating slices so they
 * see the same machine. Runs that consume what they send (codes) stop after a fixed count.
 *
 * The HTTP load generator runs on the server's own event loop, like the floor's SDK calls do:
 * on a 2-core machine a worker thread for it measured slower (more wake-ups, one more thread
 * competing with DynamoDB Local), not faster. The floor rotates twice as many family items
 * as the service, so its faster writes stay clear of the per-family rate condition too.
 */
export async function measureLoads(
  env: BenchEnvironment,
  recorder: CallRecorder,
  client: HttpClient,
  clients: { readonly app: BenchClient; readonly api: BenchClient },
  codeTemplate: Item,
  families: BenchFamily[],
  kmsFamilies: BenchFamily[],
  log: (line: string) => void,
): Promise<{ rows: LoadRow[]; ratios: Results['ratios'][number][]; floorRefresh: FloorFamily[] }> {
  const rows: LoadRow[] = [];
  const ratios: Results['ratios'][number][] = [];
  const http = httpTransport(client);
  const handler = handlerTransport(await env.tokenHandler());
  const real = await familyOf(env, families[0]!.token);
  const floorRefresh = await floorFamilies(env, real, 2 * CONFIG.families);

  /**
   * The service (over HTTP, and for the refresh also its handler called directly) and its
   * floor, measured in alternating slices (runInterleaved), so the ratio compares them under
   * the same conditions.
   */
  const compared = async (
    grant: Grant,
    concurrency: number,
    contenders: ReadonlyArray<{ kind: LoadRow['kind']; what: string; op: Op; maxOps?: number }>,
  ): Promise<Map<LoadRow['kind'], LoadRow>> => {
    log(`${grant} c=${concurrency}: ${contenders.map(({ kind }) => kind).join(', ')} in alternating slices…`);
    const calls = new Map<string, number>();
    const results = await runInterleaved({
      concurrency,
      warmupMs: CONFIG.warmupMs,
      durationMs: CONFIG.runMs,
      rounds: CONFIG.rounds,
      contenders: contenders.map(({ kind, op, maxOps }) => ({
        name: kind,
        op,
        ...(maxOps !== undefined && { maxOps, warmupMaxOps: WARMUP_CODES }),
      })),
      onSliceStart: () => recorder.resetTotals(),
      onSliceEnd: (kind) => calls.set(kind, (calls.get(kind) ?? 0) + [...recorder.totals.values()].reduce((sum, count) => sum + count, 0)),
    });
    const measured = new Map<LoadRow['kind'], LoadRow>();
    for (const { kind, what } of contenders) {
      const result = results.get(kind)!;
      const row: LoadRow = { grant, kind, what, ...result, ...(kind !== 'floor' && kind !== 'previous floor' && { dynamoCallsPerOp: round((calls.get(kind) ?? 0) / result.ops, 3) }) };
      rows.push(row);
      measured.set(kind, row);
      const dynamo = row.dynamoCallsPerOp !== undefined ? `, ${row.dynamoCallsPerOp} DynamoDB calls/req` : '';
      log(`  ${kind}: ${row.throughput} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, CPU ${row.cpuMsPerOp} ms/req${dynamo}`);
    }
    return measured;
  };
  const ratio = (grant: Grant, concurrency: number, measured: Map<LoadRow['kind'], LoadRow>) => {
    const service = measured.get('HTTP')!;
    const floor = measured.get('floor')!;
    ratios.push({ grant, concurrency, service: service.throughput, floor: floor.throughput, ratio: round(service.throughput / floor.throughput, 2), floor_of: floor.what });
  };

  // In AWS the signature is a KMS call of ~10 ms; the markers are read beside it. A handler
  // whose KMS takes KMS_LIKE_SIGN_MS shows what that leaves of the read's latency.
  const kmsHandler = handlerTransport(env.kmsLikeTokenHandler(KMS_LIKE_SIGN_MS));
  const kmsFloorFamilies = await floorFamilies(env, real, kmsFamilies.length);
  await compared('refresh_token', 1, [
    { kind: 'handler, KMS-like Sign', what: `token handler, KMS Sign taking ${KMS_LIKE_SIGN_MS} ms`, op: refreshOp(kmsHandler, clients.app, kmsFamilies, 1) },
    { kind: 'floor, KMS-like Sign', what: `GetItem + ${KMS_LIKE_SIGN_MS} ms + UpdateItem (no markers read)`, op: kmsLikeRefreshFloorOp(env, kmsFloorFamilies, KMS_LIKE_SIGN_MS) },
  ]);

  for (const concurrency of CONFIG.concurrencies) {
    ratio(
      'refresh_token',
      concurrency,
      await compared('refresh_token', concurrency, [
        { kind: 'HTTP', what: 'POST /token refresh_token', op: refreshOp(http, clients.app, families, concurrency) },
        { kind: 'handler', what: 'token handler, refresh_token event', op: refreshOp(handler, clients.app, families, concurrency) },
        { kind: 'floor', what: 'GetItem (family) + BatchGetItem (markers) + conditional UpdateItem', op: refreshFloorOp(env, floorRefresh, concurrency) },
        { kind: 'previous floor', what: 'conditional UpdateItem alone (write, then sign; markers cached)', op: refreshFloorOp(env, floorRefresh, concurrency, false) },
      ]),
    );
    ratio(
      'client_credentials',
      concurrency,
      await compared('client_credentials', concurrency, [
        { kind: 'HTTP', what: 'POST /token client_credentials', op: clientCredentialsOp(http, clients.api) },
        { kind: 'floor', what: 'GetItem of the client item', op: clientReadFloorOp(env, clients.api) },
      ]),
    );
    const count = CONFIG.codesPerRun[concurrency] ?? 1000;
    const serviceCodes = await cloneCodes(env, codeTemplate, count + WARMUP_CODES);
    const floorCodes = await cloneCodes(env, codeTemplate, count + WARMUP_CODES);
    const previousCodes = await cloneCodes(env, codeTemplate, count + WARMUP_CODES);
    ratio(
      'authorization_code',
      concurrency,
      await compared('authorization_code', concurrency, [
        { kind: 'HTTP', what: 'POST /token authorization_code', op: codeExchangeOp(http, clients.app, serviceCodes), maxOps: count },
        { kind: 'floor', what: 'GetItem (code) + BatchGetItem (markers) + TransactWriteItems (code + family)', op: codeFloorOp(env, clients.app, real, floorCodes), maxOps: count },
        {
          kind: 'previous floor',
          what: 'UpdateItem (code) + PutItem (family), then sign',
          op: codeFloorOp(env, clients.app, real, previousCodes, false),
          maxOps: count,
        },
      ]),
    );
  }
  return { rows, ratios, floorRefresh };
}
