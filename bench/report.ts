import { mkdir, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BundleRow } from './bundles.ts';
import type { CallsRow } from './calls.ts';
import type { Contributor } from './composition.ts';
import type { CpuResult } from './cpu.ts';
import type { LoadResult } from './load.ts';
import { round } from './stats.ts';

/** One load run: the service over HTTP, its Lambda handler called directly, or the floor. */
export interface LoadRow extends LoadResult {
  readonly grant: 'refresh_token' | 'client_credentials' | 'authorization_code';
  /** `previous floor`: the DynamoDB calls of the ordering before sign-before-write, for its latency cost. */
  readonly kind: 'HTTP' | 'handler' | 'floor' | 'previous floor' | 'handler, KMS-like Sign' | 'floor, KMS-like Sign';
  /** What was sent: the service path, or the floor's DynamoDB calls. */
  readonly what: string;
  /** DynamoDB calls per request the service made during the run (all caches as they come). */
  readonly dynamoCallsPerOp?: number;
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
  readonly load: readonly LoadRow[];
  readonly ratios: ReadonlyArray<{ grant: string; concurrency: number; service: number; floor: number; ratio: number; floor_of: string }>;
  readonly cpu: CpuResult;
  readonly calls: readonly CallsRow[];
  readonly bundles: readonly BundleRow[];
  readonly tokenComposition: { readonly bytes: number; readonly contributors: readonly Contributor[] };
  readonly targets: readonly TargetCheck[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const FLOOR_LABEL: Record<string, string> = {
  refresh_token: 'floor: GetItem + BatchGetItem + UpdateItem',
  client_credentials: 'floor: GetItem (client) — cc writes nothing',
  authorization_code: 'floor: GetItem + BatchGetItem + TransactWriteItems',
};

interface Line {
  readonly area: string;
  readonly item: string;
  readonly value: string;
  readonly detail: string;
  readonly target: string;
  readonly result: string;
}

function lines(results: Results): Line[] {
  const out: Line[] = [];
  const check = (name: string) => results.targets.find((target) => target.name === name);
  const push = (area: string, item: string, value: string, detail = '', targetName?: string) => {
    const target = targetName ? check(targetName) : undefined;
    out.push({ area, item, value, detail, target: target?.target ?? '', result: target ? (target.met ? 'MET' : 'MISSED') : '' });
  };
  push('harness', 'self-check', 'ok', results.selfCheck);
  for (const grant of ['refresh_token', 'client_credentials', 'authorization_code'] as const) {
    for (const concurrency of [1, 16]) {
      for (const row of results.load.filter((load) => load.grant === grant && load.concurrency === concurrency)) {
        const label =
          row.kind === 'floor'
            ? FLOOR_LABEL[grant]!
            : row.kind === 'previous floor' || row.kind.endsWith('KMS-like Sign')
              ? `${row.kind}: ${row.what}`
              : row.kind === 'HTTP'
                ? 'service over HTTP'
                : 'Lambda handler direct (no HTTP)';
        const calls = row.dynamoCallsPerOp !== undefined ? ` · ${row.dynamoCallsPerOp} DynamoDB calls/req` : '';
        push(`${grant} c=${concurrency}`, label, `${row.throughput.toFixed(0)} req/s`, `p50 ${row.p50Ms} ms · p99 ${row.p99Ms} ms · node CPU ${row.cpuMsPerOp} ms/req${calls} · n=${row.ops}`);
      }
      const floor = results.load.find((load) => load.grant === grant && load.concurrency === concurrency && load.kind === 'floor');
      const previous = results.load.find((load) => load.grant === grant && load.concurrency === concurrency && load.kind === 'previous floor');
      if (floor && previous) {
        push(
          `${grant} c=${concurrency}`,
          'latency of sign-before-write and fresh markers',
          `+${round(floor.p50Ms - previous.p50Ms, 2)} ms`,
          `p50 of the floor now minus the previous ordering's (p99 ${round(floor.p99Ms - previous.p99Ms, 2)} ms): the reads it adds here, where signing is instant; in AWS the markers read overlaps KMS Sign`,
        );
      }
      const kmsLike = results.load.find((load) => load.grant === grant && load.concurrency === concurrency && load.kind === 'handler, KMS-like Sign');
      const kmsFloor = results.load.find((load) => load.grant === grant && load.concurrency === concurrency && load.kind === 'floor, KMS-like Sign');
      if (kmsLike && kmsFloor) {
        push(
          `${grant} c=${concurrency}`,
          'markers read beside a KMS-like Sign',
          `+${round(kmsLike.p50Ms - kmsFloor.p50Ms, 2)} ms`,
          `p50 of the handler minus a floor that makes no markers read (p99 ${round(kmsLike.p99Ms - kmsFloor.p99Ms, 2)} ms): node's own work; the read itself is hidden behind the signature`,
        );
      }
      const ratio = results.ratios.find((entry) => entry.grant === grant && entry.concurrency === concurrency);
      if (ratio) {
        push(`${grant} c=${concurrency}`, 'throughput service/floor', ratio.ratio.toFixed(2), `vs ${ratio.floor_of}`, grant === 'refresh_token' ? `refresh ratio c=${concurrency}` : undefined);
      }
    }
  }
  for (const row of results.cpu.rows) {
    const share = Math.round((100 * row.signUsPerRequest) / row.cpuUsPerRequest);
    push('CPU per response (no I/O)', `${row.grant} ${row.algorithm}`, `${row.cpuUsPerRequest} µs`, `${row.jwts} JWT${row.jwts > 1 ? 's' : ''} signed: ~${row.signUsPerRequest} µs of it (${share}%)`);
  }
  for (const [algorithm, us] of Object.entries(results.cpu.signUs)) push('CPU per response (no I/O)', `one JWT signature ${algorithm}`, `${us} µs`, 'LocalKeySigner.signJwt');
  for (const [algorithm, us] of Object.entries(results.cpu.dpopVerifyUs)) push('CPU per response (no I/O)', `one DPoP proof check ${algorithm}`, `${us} µs`, 'verifyDpopProof: embedded key, signature, claims, thumbprint');
  for (const row of results.calls) {
    const spread = row.min === row.max ? '' : ` (samples ${row.min}–${row.max})`;
    push('DynamoDB calls', row.operation, String(row.calls), `${row.commands.join(' → ') || 'none'}${spread}`, row.operation.startsWith('refresh_token') ? 'refresh calls' : undefined);
  }
  for (const row of results.bundles) {
    push('bundle (minified)', row.group, kb(row.bytes), `gzip ${kb(row.gzipBytes)} · map ${kb(row.mapBytes)}`, row.group === 'token' ? 'token bundle' : undefined);
  }
  const top = results.tokenComposition.contributors.slice(0, 4).map((entry) => `${entry.name} ${entry.kb} KB`).join(' · ');
  push('bundle (minified)', 'token: largest parts', '', top);
  for (const row of results.bundles) {
    push(
      'cold import (median)',
      row.group,
      `${row.coldImportMs} ms`,
      `range ${row.coldImportRangeMs[0]}–${row.coldImportRangeMs[1]} · no source maps ${row.coldImportNoSourceMapsMs} ms · ready ${row.readyMs} ms after process start · network at init: ${row.networkAttempts.length}`,
      row.group === 'token' ? 'token cold import' : undefined,
    );
  }
  return out;
}

/** The one table `npm run bench` prints. */
export function table(results: Results): string {
  const rows = lines(results);
  const header: Line = { area: 'area', item: 'measurement', value: 'value', detail: 'detail', target: 'target', result: 'result' };
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
    const separator = row.area !== previous && previous !== '' && !row.area.startsWith(previous.split(' ')[0]!) ? `${rule}\n` : '';
    previous = row.area;
    return separator + format(row);
  });
  const met = results.targets.filter((target) => target.met).length;
  const summary = `targets: ${met} met, ${results.targets.length - met} missed — ${results.targets.map((target) => `${target.name} ${target.met ? 'MET' : 'MISSED'} (${target.value} vs ${target.target})`).join('; ')}`;
  return [format(header), rule, ...body, rule, summary].join('\n');
}

/** Writes bench/results/latest.json (through a .tmp.json file, so a reader never sees half of it). */
export async function writeResults(results: Results): Promise<string> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = `${dir}latest.json`;
  const temporary = `${dir}latest.tmp.json`;
  await writeFile(temporary, `${JSON.stringify(results, null, 2)}\n`);
  await rename(temporary, file);
  return file;
}
