import { mkdir, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BundleRow } from './bundles.ts';
import { TARGETS } from './config.ts';
import { median, percentile, round, throughputOf, type Measured, type Slice } from './load.ts';
import type { Micro } from './micro.ts';

export type Grant = 'client_credentials' | 'refresh_token';

export const LIFESPAN = 'Lifespan';
export const LIFESPAN_DPOP = 'Lifespan + DPoP';
export const PEER = 'node-oidc-provider';
export const FLOOR = 'DynamoDB floor';

/** One contender of one comparison, over all its slices. */
export interface Row {
  readonly grant: Grant;
  readonly concurrency: number;
  readonly name: string;
  /** Median of the slices' requests per second. */
  readonly throughput: number;
  /** Over every measured request. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server process's CPU (all its threads) per token, median of the slices, ms; for the floor, the bench process's (its SDK calls). */
  readonly cpuMsPerToken?: number;
  /** DynamoDB Local's JVM CPU per token over all the slices, ms (what memory costs the peer nothing). */
  readonly dynamoDbCpuMsPerToken?: number;
  readonly requests: number;
  readonly slices: number;
}

/** A ratio of two contenders measured in the same rounds: the median of the per-round ratios (none for an estimate). */
export interface Ratio {
  /** `refresh/peer CPU per token c=16`: what the targets and the table call it. */
  readonly name: string;
  readonly grant: Grant;
  readonly concurrency: number;
  readonly what: string;
  readonly value: number;
  readonly perRound: readonly number[];
}

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
}

export interface Results {
  readonly meta: Record<string, unknown>;
  readonly selfCheck: string;
  readonly rows: readonly Row[];
  readonly ratios: readonly Ratio[];
  readonly micro: Micro;
  readonly bundles: readonly BundleRow[];
  readonly targets: readonly TargetCheck[];
}

const cpuOf = (slice: Slice) => (slice.cpuUs ?? Number.NaN) / 1000 / slice.requests;

/** Rows and ratios of one comparison (the slices of `alternate`). */
export function summarize(grant: Grant, concurrency: number, measured: Measured): { rows: Row[]; ratios: Ratio[] } {
  const rows: Row[] = [];
  for (const [name, slices] of measured) {
    const latencies = slices.flatMap((slice) => slice.latencies);
    const requests = slices.reduce((sum, slice) => sum + slice.requests, 0);
    const dynamo = slices.every((slice) => slice.dynamoDbCpuUs !== undefined) ? slices.reduce((sum, slice) => sum + slice.dynamoDbCpuUs!, 0) : undefined;
    rows.push({
      grant,
      concurrency,
      name,
      throughput: round(median(slices.map(throughputOf)), 0),
      p50Ms: round(percentile(latencies, 50), 2),
      p99Ms: round(percentile(latencies, 99), 2),
      ...(slices[0]?.cpuUs !== undefined && { cpuMsPerToken: round(median(slices.map(cpuOf)), 3) }),
      ...(dynamo !== undefined && { dynamoDbCpuMsPerToken: round(dynamo / 1000 / requests, 3) }),
      requests,
      slices: slices.length,
    });
  }
  const short = grant === 'client_credentials' ? 'client_credentials' : 'refresh';
  const ratios: Ratio[] = [];
  const ratio = (name: string, what: string, perSlice: (round: number) => number | undefined) => {
    const perRound: number[] = [];
    for (let index = 0; index < (measured.get(LIFESPAN)?.length ?? 0); index += 1) {
      const value = perSlice(index);
      if (value === undefined) return;
      perRound.push(round(value, 3));
    }
    if (perRound.length > 0) ratios.push({ name: `${short}/${name} c=${concurrency}`, grant, concurrency, what, value: round(median(perRound), 2), perRound });
  };
  const at = (name: string, index: number) => measured.get(name)?.[index];
  const of = (name: string, index: number, value: (slice: Slice) => number) => {
    const slice = at(name, index);
    return slice && value(slice);
  };
  const divide = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
  ratio('peer throughput', `${LIFESPAN}/${PEER} throughput`, (index) => divide(of(LIFESPAN, index, throughputOf), of(PEER, index, throughputOf)));
  ratio('peer CPU per token', `${LIFESPAN}/${PEER} server CPU per token`, (index) => divide(of(LIFESPAN, index, cpuOf), of(PEER, index, cpuOf)));
  ratio('floor throughput', `${LIFESPAN}/${FLOOR} throughput`, (index) => divide(of(LIFESPAN, index, throughputOf), of(FLOOR, index, throughputOf)));
  ratio('DPoP CPU per token', `${LIFESPAN_DPOP}/${LIFESPAN} server CPU per token`, (index) => divide(of(LIFESPAN_DPOP, index, cpuOf), of(LIFESPAN, index, cpuOf)));
  // An estimate, no target: Lifespan's CPU less what its three DynamoDB calls cost the floor's SDK
  // client, over the peer's, from the medians (a difference of two noisy slices is noisier still).
  const cpu = (name: string) => rows.find((row) => row.name === name)?.cpuMsPerToken;
  const [ours, floor, peer] = [cpu(LIFESPAN), cpu(FLOOR), cpu(PEER)];
  if (ours !== undefined && floor !== undefined && peer !== undefined) {
    ratios.push({
      name: `${short}/peer CPU per token less the SDK calls c=${concurrency}`,
      grant,
      concurrency,
      what: `(${LIFESPAN} − ${FLOOR}) / ${PEER} server CPU per token`,
      value: round((ours - floor) / peer, 2),
      perRound: [],
    });
  }
  return { rows, ratios };
}

/** Every target, with the value this run measured. */
export function checkTargets(ratios: readonly Ratio[], bundles: readonly BundleRow[]): TargetCheck[] {
  const targets: TargetCheck[] = [];
  const check = (name: string, sense: '≥' | '≤', target: number) => {
    const found = ratios.find((entry) => entry.name === name);
    if (!found) throw new Error(`no ratio ${name}`);
    targets.push({ name, target: `${sense} ${target.toFixed(2)}`, value: found.value.toFixed(2), met: sense === '≥' ? found.value >= target : found.value <= target });
  };
  for (const c of [1, 16]) check(`refresh/floor throughput c=${c}`, '≥', TARGETS.refreshFloorRatio);
  check('client_credentials/peer throughput c=16', '≥', TARGETS.ccThroughputRatio);
  for (const c of [1, 16]) check(`client_credentials/peer CPU per token c=${c}`, '≤', TARGETS.ccCpuRatio);
  for (const c of [1, 16]) check(`refresh/peer CPU per token c=${c}`, '≤', TARGETS.refreshCpuRatio);
  const token = bundles.find((row) => row.group === 'token');
  if (!token) throw new Error('no token bundle');
  targets.push({ name: 'token bundle', target: `≤ ${TARGETS.tokenBundleBytes / 1024} KB`, value: `${(token.bytes / 1024).toFixed(1)} KB`, met: token.bytes <= TARGETS.tokenBundleBytes });
  targets.push({
    name: 'token cold import',
    target: `≤ ${TARGETS.tokenColdImportMs} ms, no network`,
    value: `${token.coldImportMs} ms, ${token.networkAttempts.length} connections`,
    met: token.coldImportMs <= TARGETS.tokenColdImportMs && token.networkAttempts.length === 0,
  });
  return targets;
}

interface Line {
  readonly area: string;
  readonly item: string;
  readonly value: string;
  readonly target: string;
  readonly result: string;
  readonly detail: string;
}

function lines(results: Results): Line[] {
  const out: Line[] = [];
  const push = (area: string, item: string, value: string, detail = '', targetName?: string) => {
    const target = targetName ? results.targets.find((entry) => entry.name === targetName) : undefined;
    out.push({ area, item, value, detail, target: target?.target ?? '', result: target ? (target.met ? 'MET' : 'MISSED') : '' });
  };
  push('harness', 'self-check', 'ok', results.selfCheck);
  for (const grant of ['client_credentials', 'refresh_token'] as const) {
    for (const c of [1, 16]) {
      const area = `${grant} c=${c}`;
      for (const row of results.rows.filter((entry) => entry.grant === grant && entry.concurrency === c)) {
        const cpu = row.cpuMsPerToken !== undefined ? ` · server CPU ${row.cpuMsPerToken} ms/token` : '';
        const dynamo = row.dynamoDbCpuMsPerToken !== undefined ? ` · DynamoDB Local ${row.dynamoDbCpuMsPerToken} ms/token` : '';
        push(area, row.name, `${row.throughput} req/s`, `p50 ${row.p50Ms} ms · p99 ${row.p99Ms} ms${cpu}${dynamo} · n=${row.requests}`);
      }
      for (const ratio of results.ratios.filter((entry) => entry.grant === grant && entry.concurrency === c)) {
        const detail = ratio.perRound.length > 0 ? `median of rounds ${ratio.perRound.map((value) => value.toFixed(2)).join(' ')}` : 'estimate from the medians above: what Lifespan spends besides its DynamoDB calls';
        push(area, ratio.what, ratio.value.toFixed(2), detail, ratio.name);
      }
    }
  }
  for (const [alg, us] of Object.entries(results.micro.signUs)) push('CPU of one call', `JWT signature ${alg}`, `${us} µs`, 'LocalKeySigner.signJwt (thread pool)');
  for (const [alg, us] of Object.entries(results.micro.dpopVerifyUs)) push('CPU of one call', `DPoP proof check ${alg}`, `${us} µs`, 'verifyDpopProof: embedded key, signature, claims, thumbprint');
  const { sdk, bareHttp } = results.micro.dynamoDbGetItemUs;
  push('CPU of one call', 'DynamoDB GetItem, SDK client', `${sdk} µs`, "dynamoDbClient(): serializer, endpoint, SigV4, retry, node:http (a refresh makes three calls)");
  push('CPU of one call', 'DynamoDB GetItem, bare node:http', `${bareHttp} µs`, `the request the SDK signed, sent again (the SDK call costs ${(sdk / bareHttp).toFixed(1)}× this)`);
  for (const row of results.bundles) {
    const parts = row.group === 'token' ? ` · largest: ${row.largestParts.slice(0, 4).map((part) => `${part.name} ${part.kb} KB`).join(', ')}` : '';
    push('bundle (minified)', row.group, `${(row.bytes / 1024).toFixed(1)} KB`, `gzip ${(row.gzipBytes / 1024).toFixed(1)} KB${parts}`, row.group === 'token' ? 'token bundle' : undefined);
  }
  for (const row of results.bundles) {
    const detail = `range ${row.coldImportRangeMs[0]}–${row.coldImportRangeMs[1]} · ready ${row.readyMs} ms after process start · network at init: ${row.networkAttempts.length}`;
    push('cold import (median)', row.group, `${row.coldImportMs} ms`, detail, row.group === 'token' ? 'token cold import' : undefined);
  }
  return out;
}

/** The one table `npm run bench` prints. */
export function table(results: Results): string {
  const rows = lines(results);
  const header: Line = { area: 'area', item: 'measurement', value: 'value', target: 'target', result: 'result', detail: 'detail' };
  const keys = ['area', 'item', 'value', 'target', 'result', 'detail'] as const;
  const width = Object.fromEntries(keys.map((key) => [key, Math.max(...[header, ...rows].map((row) => row[key].length))])) as Record<(typeof keys)[number], number>;
  const format = (row: Line) =>
    keys
      .map((key) => (key === 'value' ? row[key].padStart(width[key]) : row[key].padEnd(width[key])))
      .join('  ')
      .trimEnd();
  const rule = keys.map((key) => '-'.repeat(width[key])).join('  ');
  let previous = '';
  const body = rows.map((row) => {
    const separator = previous !== '' && row.area.split(' ')[0] !== previous.split(' ')[0] ? `${rule}\n` : '';
    previous = row.area;
    return separator + format(row);
  });
  const met = results.targets.filter((target) => target.met).length;
  const missed = results.targets.filter((target) => !target.met).map((target) => `${target.name} (${target.value} vs ${target.target})`);
  return [format(header), rule, ...body, rule, `targets: ${met} met, ${missed.length} missed${missed.length ? ` — ${missed.join('; ')}` : ''}`].join('\n');
}

/** Writes bench/results/latest.json (through a .tmp.json file, so a reader never sees half of it). */
export async function writeResults(results: Results): Promise<string> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = `${dir}latest.json`;
  await writeFile(`${dir}latest.tmp.json`, `${JSON.stringify(results, null, 2)}\n`);
  await rename(`${dir}latest.tmp.json`, file);
  return file;
}
