/**
 * `npm run bench`: throughput and latency of the token grants next to their DynamoDB floor,
 * CPU per token response, DynamoDB calls per operation, bundle sizes and cold imports, all in
 * one run. Prints one table, writes bench/results/latest.json, and exits 1 when a target is
 * missed (2 when the bench itself failed). Not part of `npm test`. Knobs: bench/config.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { measureBundles } from './bundles.ts';
import { measureCalls } from './calls.ts';
import { composition } from './composition.ts';
import { CONFIG } from './config.ts';
import { measureCpu } from './cpu.ts';
import { print, startEnvironment } from './environment.ts';
import { realCodeItem, registerClients, steadyFamilies } from './fixtures.ts';
import { assertSameWrite } from './floor.ts';
import { HttpClient } from './http.ts';
import { measureLoads } from './loads.ts';
import { installCallRecorder } from './recorder.ts';
import { table, writeResults, type Results } from './report.ts';
import { checkFailuresAreLoud } from './self-check.ts';
import { round } from './stats.ts';
import { checkTargets } from './targets.ts';
import { httpTransport } from './transport.ts';

const started = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const meta: Record<string, unknown> = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgAtStart: loadavg().map((value) => round(value, 2)),
    config: CONFIG,
    note: 'One run on a shared machine: indicative numbers. DynamoDB Local, the service and the load generator share the CPUs.',
  };

  // Bundles first: synthesis and cold imports must not compete with the load runs.
  log('bundles: cdk synth, then each bundle imported cold…');
  const bundles = await measureBundles(CONFIG.coldRuns, log);
  const tokenComposition = await composition('token');

  const recorder = installCallRecorder();
  log('starting DynamoDB Local and the local server…');
  const env = await startEnvironment(recorder);
  const http = new HttpClient(env.url);
  let measured: Pick<Results, 'selfCheck' | 'load' | 'ratios' | 'cpu' | 'calls'>;
  try {
    const clients = await registerClients(env);
    const codeTemplate = await realCodeItem(env, clients.app);
    log(`${CONFIG.families} refresh-token families: a code exchange each, then 21 rotations each, through /token…`);
    const families = await steadyFamilies(env, http, clients.app, codeTemplate, CONFIG.families);

    const selfCheck = await checkFailuresAreLoud(httpTransport(http), clients.app);
    log(`self-check: ${selfCheck}`);

    log('DynamoDB calls per operation…');
    const calls = await measureCalls(env, recorder, http, clients, codeTemplate, families.slice(0, CONFIG.callSamples + 1), CONFIG.callSamples);

    const kmsFamilies = await steadyFamilies(env, http, clients.app, codeTemplate, 16);
    const load = await measureLoads(env, recorder, http, clients, codeTemplate, families, kmsFamilies, log);
    await assertSameWrite(env, calls.refreshWrite, load.floorRefresh[0]!);

    log('CPU per token response (token handler over in-memory stores, RS256 and ES256)…');
    const cpu = await measureCpu(env.dir, CONFIG.cpuBatch);
    meta['handlerLogLines'] = env.logLines();
    measured = { selfCheck, load: load.rows, ratios: load.ratios, cpu, calls: calls.rows };
  } finally {
    http.close();
    await env.stop();
  }
  meta['loadavgAtEnd'] = loadavg().map((value) => round(value, 2));
  meta['seconds'] = round((performance.now() - started) / 1000, 1);

  const targets = checkTargets(measured.ratios, measured.calls, bundles);
  const results: Results = { meta, ...measured, bundles, tokenComposition, targets };
  const file = await writeResults(results);
  print(`${table(results)}\n`);
  log(`results written to ${file}`);
  return targets.every((target) => target.met) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
}
