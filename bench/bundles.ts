import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { LOGIN_URL } from './config.ts';
import { median, round } from './stats.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One Lambda function as CDK bundles it, and how long its bundle takes to import cold. */
export interface BundleRow {
  readonly group: string;
  readonly logicalId: string;
  readonly asset: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  /** Median ms to import the bundle (module evaluation, the handler's init) in a fresh node, with the stack's NODE_OPTIONS. */
  readonly coldImportMs: number;
  readonly coldImportRangeMs: readonly [number, number];
  /** The same without `--enable-source-maps`. */
  readonly coldImportNoSourceMapsMs: number;
  /** Median ms from process start to the handler being ready (node's own start-up included). */
  readonly readyMs: number;
  /** Network connections the init tried (blocked); must be none. */
  readonly networkAttempts: readonly string[];
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
      const { NODE_OPTIONS: _nodeOptions, ...withoutSourceMaps } = env;
      log(`cold import: ${group} (${runs}× with the stack's NODE_OPTIONS, ${runs}× without)…`);
      const withMaps = [];
      const withoutMaps = [];
      for (let index = 0; index < runs; index += 1) {
        withMaps.push(await coldImport(bundle, env));
        withoutMaps.push(await coldImport(bundle, withoutSourceMaps));
      }
      const imports = withMaps.map((sample) => sample.importMs);
      const code = readFileSync(bundle);
      rows.push({
        group,
        logicalId,
        asset: asset.slice(0, 12),
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        mapBytes: statSync(`${bundle}.map`, { throwIfNoEntry: false })?.size ?? 0,
        coldImportMs: round(median(imports), 1),
        coldImportRangeMs: [round(Math.min(...imports), 1), round(Math.max(...imports), 1)],
        coldImportNoSourceMapsMs: round(median(withoutMaps.map((sample) => sample.importMs)), 1),
        readyMs: round(median(withMaps.map((sample) => sample.readyMs)), 1),
        networkAttempts: [...new Set([...withMaps, ...withoutMaps].flatMap((sample) => sample.attempts))],
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
