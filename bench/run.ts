/**
 * `npm run bench`: Lifespan's token endpoint side by side with node-oidc-provider on this
 * machine (client_credentials and refresh, c = 1 and 16: throughput, latency, server CPU per
 * token), Lifespan's refresh against its DynamoDB floor, DPoP's cost, the CPU of one signature
 * and one proof check, bundle sizes and cold imports. Prints one table, writes
 * bench/results/latest.json, and exits 1 when a target is missed (2 when the bench itself
 * failed). Not part of `npm test`. Knobs: bench/config.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { decodeRefreshToken } from '../functions/oauth/tokens/refresh-token.ts';
import { measureBundles } from './bundles.ts';
import { BENCH_PARAMETERS, CONFIG, TARGETS } from './config.ts';
import { alternate, autocannonContender, inProcessContender, RequestFailed, round, type Contender } from './load.ts';
import { measureMicro } from './micro.ts';
import { clientCredentials, Proofs, refresh, refreshFloor } from './plans.ts';
import { checkTargets, FLOOR, LIFESPAN, LIFESPAN_DPOP, PEER, summarize, table, writeResults, type Grant, type Ratio, type Row } from './report.ts';
import { startServer, type ServerProcess } from './servers.ts';

const started = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

/** A process's CPU time so far from /proc (user + system), µs: DynamoDB Local's JVM, which reports nothing itself. */
function procCpuUs(pid: number): () => number {
  const tick = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * tick;
  };
}

/** This process's CPU so far, µs: the floor's SDK calls are made here (nothing else runs meanwhile). */
async function thisProcessCpuUs(): Promise<number> {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The harness must never count a refused request as served: a refresh with a forged token has to stop the run. */
async function selfCheck(lifespan: ServerProcess): Promise<string> {
  const forged = `lsr_${Buffer.alloc(56, 7).toString('base64url')}`;
  const contender = autocannonContender('self-check', lifespan.fixtures.url, {}, refresh(lifespan.fixtures.app, [forged]));
  try {
    await contender.slice(1, 1);
  } catch (error) {
    if (error instanceof RequestFailed && /: 400 .*invalid_grant/.test(error.message)) return 'a 400 invalid_grant stops the run (nothing counted)';
    throw new Error('self-check: a refused request failed the run, but not with 400 invalid_grant', { cause: error });
  }
  throw new Error('self-check failed: the load harness counted a refused request as served');
}

async function main(): Promise<number> {
  const meta: Record<string, unknown> = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    peer: `oidc-provider ${versionOf('oidc-provider')}`,
    loadGenerator: `autocannon ${versionOf('autocannon')}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgAtStart: loadavg().map((value) => round(value, 2)),
    config: CONFIG,
    parameters: BENCH_PARAMETERS,
    targets: TARGETS,
    note: 'One run on a shared machine: indicative numbers. The servers, autocannon and DynamoDB Local share the CPUs.',
  };

  // Bundles first: synthesis and cold imports must not compete with the load runs.
  log('bundles: cdk synth, then each bundle imported cold…');
  const bundles = await measureBundles(CONFIG.coldRuns, log);

  log('starting DynamoDB Local, Lifespan (and its families) and node-oidc-provider, each server in a process of its own…');
  const dynamo = await startDynamoDbLocal();
  const servers: ServerProcess[] = [];
  try {
    const starting = await Promise.allSettled([
      startServer({ kind: 'lifespan', dynamoDbEndpoint: dynamo.endpoint, families: CONFIG.families }),
      startServer({ kind: 'peer', families: CONFIG.peerFamilies }),
    ]);
    for (const outcome of starting) if (outcome.status === 'fulfilled') servers.push(outcome.value);
    for (const outcome of starting) if (outcome.status === 'rejected') throw outcome.reason;
    const [lifespan, peer] = servers as [ServerProcess, ServerProcess];
    const self = await selfCheck(lifespan);
    log(`self-check: ${self}`);
    log('CPU of one signature, one DPoP proof check and one DynamoDB GetItem…');
    const floorFamily = decodeRefreshToken(lifespan.fixtures.floorTokens![0]!)!.familyId;
    const micro = await measureMicro(CONFIG.microCalls, { endpoint: dynamo.endpoint, tableName: lifespan.fixtures.tableName!, familyId: floorFamily });

    const ours = lifespan.fixtures;
    const theirs = peer.fixtures;
    const dynamoDb = procCpuUs(dynamo.process.pid!);
    const lifespanCpu = { server: lifespan.cpuUs, dynamoDb };
    const proofs = new Proofs(ours.dpopKey!, `${ours.url}/token`);
    const contenders: Record<Grant, Contender[]> = {
      client_credentials: [
        autocannonContender(LIFESPAN, ours.url, lifespanCpu, clientCredentials(ours.api)),
        autocannonContender(LIFESPAN_DPOP, ours.url, lifespanCpu, clientCredentials(ours.api, proofs)),
        autocannonContender(PEER, theirs.url, { server: peer.cpuUs }, clientCredentials(theirs.api)),
      ],
      refresh_token: [
        autocannonContender(LIFESPAN, ours.url, lifespanCpu, refresh(ours.app, ours.refreshTokens)),
        autocannonContender(LIFESPAN_DPOP, ours.url, lifespanCpu, refresh(ours.app, ours.dpopRefreshTokens!, proofs)),
        autocannonContender(PEER, theirs.url, { server: peer.cpuUs }, refresh(theirs.app, theirs.refreshTokens)),
        inProcessContender(FLOOR, { server: thisProcessCpuUs, dynamoDb }, refreshFloor(dynamo.endpoint, ours.tableName!, ours.floorTokens!)),
      ],
    };
    // The first warm-up of a refresh contender rotates each family past 20 times, so its item holds
    // the full rotation history, as a long-lived family's does in production.
    const warmed = new Set<string>();
    const warmup = (grant: Grant) => (name: string) => {
      const first = !warmed.has(`${grant} ${name}`);
      warmed.add(`${grant} ${name}`);
      if (grant === 'client_credentials') return first ? 1500 : 300;
      return first ? 21 * (name === PEER ? CONFIG.peerFamilies : CONFIG.families) : 200;
    };
    const rows: Row[] = [];
    const ratios: Ratio[] = [];
    for (const grant of ['client_credentials', 'refresh_token'] as const) {
      // The higher concurrency first: the steady-state warm-up of the families goes faster there.
      for (const concurrency of [...CONFIG.concurrencies].reverse()) {
        log(`${grant} c=${concurrency}: ${contenders[grant].map((contender) => contender.name).join(', ')} in ${CONFIG.rounds} rounds of alternating slices…`);
        const measured = await alternate(contenders[grant], { concurrency, rounds: CONFIG.rounds, sliceMs: CONFIG.sliceMs, warmup: warmup(grant) });
        const summary = summarize(grant, concurrency, measured);
        for (const row of summary.rows) log(`  ${row.name}: ${row.throughput} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms${row.cpuMsPerToken !== undefined ? `, server CPU ${row.cpuMsPerToken} ms/token` : ''}`);
        for (const ratio of summary.ratios) log(`  ${ratio.what}: ${ratio.value}`);
        rows.push(...summary.rows);
        ratios.push(...summary.ratios);
      }
    }
    meta['loadavgAtEnd'] = loadavg().map((value) => round(value, 2));
    meta['seconds'] = round((performance.now() - started) / 1000, 1);
    const targets = checkTargets(ratios, bundles);
    const results = { meta, selfCheck: self, rows, ratios, micro, bundles, targets };
    const file = await writeResults(results);
    process.stdout.write(`${table(results)}\n`);
    log(`results written to ${file}`);
    return targets.every((target) => target.met) ? 0 : 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await dynamo.stop();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  const describe = (value: unknown): string =>
    value instanceof Error ? `${value.stack ?? value.message}${value.cause !== undefined ? `\ncaused by: ${describe(value.cause)}` : ''}` : String(value);
  log(`FAILED: ${describe(error)}`);
  process.exitCode = 2;
}
