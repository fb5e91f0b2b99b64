import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median, round } from './load.ts';

const LOGIN_URL = 'https://login.example.com/login';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One Lambda function as CDK bundles it, and how long its bundle takes to import cold. */
export interface BundleRow {
  readonly group: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Median ms to import the bundle (module evaluation, the handler's init) in a fresh node, with the stack's environment. */
  readonly coldImportMs: number;
  readonly coldImportRangeMs: readonly [number, number];
  /** Median ms from process start to the handler being ready (node's own start-up included). */
  readonly readyMs: number;
  /** Network connections the init tried (blocked); must be none. */
  readonly networkAttempts: readonly string[];
  /** The largest parts of the bundle, from its source map: package (or folder of this repository) → KB. */
  readonly largestParts: ReadonlyArray<{ readonly name: string; readonly kb: number }>;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `cdk synth` exactly as a deployer runs it (npx cdk, the project's cdk.json and app), into `outDir`. */
async function synthesize(outDir: string): Promise<void> {
  const bin = join(ROOT, 'node_modules', '.bin');
  const env = {
    ...process.env,
    // The project's Node 22 and tools first, as under `npm run`.
    PATH: [bin, dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter),
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  const result = await run(join(bin, 'cdk'), ['synth', '-q', '--no-notices', '-c', `loginUrl=${LOGIN_URL}`, '--output', outDir], env);
  if (result.code !== 0) throw new Error(`cdk synth failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
}

/** Stand-ins for the values CloudFormation fills in at deploy time. */
function resolveValue(value: unknown, resources: Readonly<Record<string, CfnResource>>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const intrinsic = value as Record<string, unknown>;
    if (typeof intrinsic['Ref'] === 'string') return `${intrinsic['Ref']}-bench`;
    const getAtt = intrinsic['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt.length === 2) {
      const [id, attribute] = getAtt as [string, string];
      const type = resources[id]?.Type ?? '';
      if (attribute === 'ApiEndpoint') return 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
      if (attribute === 'Arn') {
        const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
        return `arn:aws:${service}:us-east-1:111122223333:${service === 'kms' ? 'key/' : ''}${id.toLowerCase()}`;
      }
    }
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((part) => resolveValue(part, resources)).join(String(join[0]));
    }
  }
  throw new Error(`bench/bundles.ts cannot stand in for ${JSON.stringify(value)}`);
}

/** What Lambda adds to a function's own variables (no credentials: nothing may be called at init). */
function lambdaEnvironment(functionName: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  };
}

/**
 * Runs in the fresh process: blocks and records any outgoing connection, imports the bundle
 * (its top level is the handler's init: environment, clients, caches), and reports.
 */
const CHILD = `
import net from 'node:net';
const attempts = [];
net.Socket.prototype.connect = function (...args) {
  const target = Array.isArray(args[0]) ? args[0][0] : args[0];
  attempts.push(typeof target === 'object' && target !== null ? String(target.host ?? target.path ?? 'localhost') + ':' + String(target.port ?? '') : String(target));
  queueMicrotask(() => this.destroy(new Error('network blocked during init')));
  return this;
};
const started = performance.now();
const module = await import(process.env.BENCH_BUNDLE_URL);
const ready = performance.now();
if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler function');
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(JSON.stringify({ importMs: ready - started, readyMs: ready, attempts }));
`;

/** One fresh node process importing `bundle` with exactly `env` (and nothing else). */
export async function coldImport(bundle: string, env: Record<string, string>): Promise<{ importMs: number; readyMs: number; attempts: string[] }> {
  const result = await run(process.execPath, ['--input-type=module', '-e', CHILD], { ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle).href });
  if (result.code !== 0) throw new Error(`cold import of ${bundle} failed (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout) as { importMs: number; readyMs: number; attempts: string[] };
}

/**
 * Synthesizes the stack (`-c loginUrl=…`), finds each function's asset through its Code.S3Key
 * and its group through its description ("Lifespan <stage> <group> routes", or the
 * events function's), measures
 * `index.mjs`, then imports each bundle `runs` times in fresh processes with the environment
 * the stack gives that function (deploy-time values replaced by stand-ins).
 */
export async function measureBundles(runs: number, log: (line: string) => void): Promise<BundleRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-bench-synth-'));
  try {
    const outDir = join(dir, 'cdk.out');
    log('cdk synth…');
    await synthesize(outDir);
    const templateFile = readdirTemplates(outDir);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, CfnResource> };
    const rows: BundleRow[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const properties = resource.Properties ?? {};
      const group = groupOf(String(properties['Description'] ?? ''));
      if (!group) continue;
      const key = String((properties['Code'] as Record<string, unknown> | undefined)?.['S3Key'] ?? '');
      const asset = key.replace(/\.zip$/, '');
      const bundle = join(outDir, `asset.${asset}`, 'index.mjs');
      if (!/^[0-9a-f]{64}$/.test(asset) || !existsSync(bundle)) throw new Error(`no bundle for ${logicalId} (S3Key ${key})`);
      const variables = ((properties['Environment'] as Record<string, unknown> | undefined)?.['Variables'] ?? {}) as Record<string, unknown>;
      const own = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolveValue(value, template.Resources)]));
      const env = { ...lambdaEnvironment(`Lifespan-prod-${logicalId}`), ...own };
      log(`cold import: ${group} (${runs}×)…`);
      const samples = [];
      for (let index = 0; index < runs; index += 1) samples.push(await coldImport(bundle, env));
      const imports = samples.map((sample) => sample.importMs);
      const code = readFileSync(bundle);
      rows.push({
        group,
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        coldImportMs: round(median(imports), 1),
        coldImportRangeMs: [round(Math.min(...imports), 1), round(Math.max(...imports), 1)],
        readyMs: round(median(samples.map((sample) => sample.readyMs)), 1),
        networkAttempts: [...new Set(samples.flatMap((sample) => sample.attempts))],
        largestParts: largestParts(bundle),
      });
    }
    if (!rows.some((row) => row.group === 'token')) throw new Error('the synthesized stack has no token function');
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The function's entry name from its description: a route group, or the stream's events function. */
function groupOf(description: string): string | undefined {
  if (/^Lifespan \S+ security events\b/.test(description)) return 'events';
  return /^Lifespan \S+ (\S+) routes$/.exec(description)?.[1];
}

function readdirTemplates(outDir: string): string {
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
  const stacks = Object.values(manifest.artifacts).filter((artifact) => artifact.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1 || !stacks[0]?.properties?.templateFile) throw new Error(`expected one stack in ${outDir}`);
  return join(outDir, stacks[0].properties.templateFile);
}

interface SourceMap {
  readonly sources: readonly string[];
  readonly mappings: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The fields of one source-map segment (base64 VLQ, deltas). */
function segmentFields(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

/** Who owns a source (a path as the map names it, from `dir`): its npm package, or the first two folders of this repository. */
function owner(dir: string, source: string): string {
  const parts = relative(ROOT, resolve(dir, source)).split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return parts.slice(0, 2).join('/');
  return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? source);
}

/**
 * Size of the bundle by owner (in characters, as source maps count), read from the source map CDK wrote beside it (each mapped
 * segment runs to the next one), so the parts are those of the deployed build itself.
 */
function largestParts(bundle: string, top = 6): Array<{ name: string; kb: number }> {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as SourceMap;
  const lines = readFileSync(bundle, 'utf8').split('\n');
  const bytes = new Map<string, number>();
  let source = 0;
  map.mappings.split(';').forEach((line, index) => {
    let column = 0;
    const segments = line === '' ? [] : line.split(',').map((segment) => {
      const [columnDelta = 0, sourceDelta] = segmentFields(segment);
      column += columnDelta;
      if (sourceDelta !== undefined) source += sourceDelta;
      return { column, source: sourceDelta === undefined ? undefined : source };
    });
    segments.forEach((segment, at) => {
      if (segment.source === undefined) return;
      const name = owner(dirname(bundle), map.sources[segment.source] ?? '?');
      const end = segments[at + 1]?.column ?? (lines[index] ?? '').length;
      bytes.set(name, (bytes.get(name) ?? 0) + end - segment.column);
    });
  });
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => ({ name, kb: round(count / 1024, 1) }));
}
