import { CONFIG } from './config.ts';
import type { BenchEnvironment } from './environment.ts';
import { cloneCodes, familyOf, type BenchClient, type BenchFamily, type Item } from './fixtures.ts';
import { clientReadFloorOp, codeFloorOp, floorFamilies, refreshFloorOp, type FloorFamily } from './floor.ts';
import type { HttpClient } from './http.ts';
import { runLoad } from './load.ts';
import type { CallRecorder } from './recorder.ts';
import type { LoadRow, Results } from './report.ts';
import { clientCredentialsOp, codeExchangeOp, refreshOp, type Op } from './scenarios.ts';
import { round } from './stats.ts';
import { handlerTransport, httpTransport } from './transport.ts';

type Grant = LoadRow['grant'];

/** Codes a code-exchange run may spend warming up. */
const WARMUP_CODES = 100;

/**
 * Every load run, concurrency by concurrency: for each grant the service over HTTP, (for the
 * refresh) its Lambda handler called directly, and the floor, one after the other so they see
 * the same machine. Runs that consume what they send (codes) stop after a fixed count.
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
  log: (line: string) => void,
): Promise<{ rows: LoadRow[]; ratios: Results['ratios'][number][]; floorRefresh: FloorFamily[] }> {
  const rows: LoadRow[] = [];
  const ratios: Results['ratios'][number][] = [];
  const http = httpTransport(client);
  const handler = handlerTransport(await env.tokenHandler());
  const real = await familyOf(env, families[0]!.token);
  const floorRefresh = await floorFamilies(env, real, 2 * CONFIG.families);

  const measured = async (grant: Grant, kind: LoadRow['kind'], what: string, concurrency: number, op: Op, maxOps?: number) => {
    log(`${grant} c=${concurrency}: ${kind} (${what})…`);
    const options = {
      concurrency,
      warmupMs: CONFIG.warmupMs,
      durationMs: CONFIG.runMs,
      ...(maxOps !== undefined && { maxOps, warmupMaxOps: WARMUP_CODES }),
    };
    const onMeasureStart = () => recorder.resetTotals();
    const result = await runLoad({ ...options, op, onMeasureStart });
    const calls = [...recorder.totals.values()].reduce((sum, count) => sum + count, 0);
    const row: LoadRow = { grant, kind, what, ...result, ...(kind !== 'floor' && { dynamoCallsPerOp: round(calls / result.ops, 3) }) };
    rows.push(row);
    const dynamo = row.dynamoCallsPerOp !== undefined ? `, ${row.dynamoCallsPerOp} DynamoDB calls/req` : '';
    log(`  ${row.throughput} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, CPU ${row.cpuMsPerOp} ms/req${dynamo}`);
    return row;
  };
  const ratio = (grant: Grant, concurrency: number, service: LoadRow, floor: LoadRow) =>
    ratios.push({ grant, concurrency, service: service.throughput, floor: floor.throughput, ratio: round(service.throughput / floor.throughput, 2), floor_of: floor.what });

  for (const concurrency of CONFIG.concurrencies) {
    const refresh = await measured('refresh_token', 'HTTP', 'POST /token refresh_token', concurrency, refreshOp(http, clients.app, families, concurrency));
    await measured('refresh_token', 'handler', 'token handler, refresh_token event', concurrency, refreshOp(handler, clients.app, families, concurrency));
    const refreshFloor = await measured('refresh_token', 'floor', 'conditional UpdateItem on a family item', concurrency, refreshFloorOp(env, floorRefresh, concurrency));
    ratio('refresh_token', concurrency, refresh, refreshFloor);

    const cc = await measured('client_credentials', 'HTTP', 'POST /token client_credentials', concurrency, clientCredentialsOp(http, clients.api));
    const ccFloor = await measured('client_credentials', 'floor', 'GetItem of the client item', concurrency, clientReadFloorOp(env, clients.api));
    ratio('client_credentials', concurrency, cc, ccFloor);

    const count = CONFIG.codesPerRun[concurrency] ?? 1000;
    const serviceCodes = await cloneCodes(env, codeTemplate, count + WARMUP_CODES);
    const code = await measured('authorization_code', 'HTTP', 'POST /token authorization_code', concurrency, codeExchangeOp(http, clients.app, serviceCodes), count);
    const floorCodes = await cloneCodes(env, codeTemplate, count + WARMUP_CODES);
    const codeFloor = await measured('authorization_code', 'floor', 'UpdateItem (code) + PutItem (family)', concurrency, codeFloorOp(env, clients.app, real, floorCodes), count);
    ratio('authorization_code', concurrency, code, codeFloor);
  }
  return { rows, ratios, floorRefresh };
}
