/**
 * The Lifespan server `npm run demo` talks to: the one of `npm start` when it answers on
 * http://127.0.0.1:${PORT:-4000} (admin token from LIFESPAN_ADMIN_TOKEN or
 * .lifespan/admin-token), otherwise a throw-away one (temporary data directory, free port)
 * that is stopped, and its data deleted, at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../functions/local/dynamodb-local.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An unexpected answer: the demo stops here and exits non-zero. */
export class DemoFailure extends Error {}

export interface Service {
  readonly url: string;
  readonly adminToken: string;
  /** Only for a server the demo started itself. */
  readonly dataDir?: string;
  /** Where the server appends its security events (`<LIFESPAN_DATA_DIR>/events.jsonl`). */
  readonly eventsFile: string;
  stop(): Promise<void>;
}

/**
 * The server of `npm start` if one answers on PORT, else a throw-away one; `say` tells which,
 * before a start (which takes a few seconds) and after it.
 */
export async function findOrStart(say: (line: string) => void): Promise<Service> {
  const url = `http://127.0.0.1:${process.env['PORT'] ?? '4000'}`;
  const found = await probe(url);
  if (found === 'lifespan') {
    say(`Using the server already running at ${url} (npm start).`);
    return { url, adminToken: runningAdminToken(), eventsFile: join(runningDataDir(), 'events.jsonl'), stop: async () => {} };
  }
  if (found === 'other') throw new DemoFailure(`something other than Lifespan answers on ${url}; set PORT to the port of npm start`);
  say(`Nothing answers on ${url}: starting a throw-away local server (DynamoDB Local, temporary data)…`);
  const service = await startOwnServer();
  say(`Started at ${service.url}; it is stopped and its data (${service.dataDir}) deleted at the end.`);
  return service;
}

let stopStartedServer: (() => Promise<void>) | undefined;

/**
 * Stops the server this process started, if any, even one still starting (for a signal or a
 * failure); resolves at once when there is none or it is already stopped.
 */
export const stopStarted = (): Promise<void> => stopStartedServer?.() ?? Promise.resolve();

/** `'lifespan'` when Lifespan answers on `url`, `'nothing'` when the port is closed, `'other'` otherwise. */
async function probe(url: string): Promise<'lifespan' | 'nothing' | 'other'> {
  try {
    const response = await fetch(`${url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(3000) });
    const metadata = (await response.json().catch(() => ({}))) as { issuer?: unknown };
    return response.ok && metadata.issuer === url ? 'lifespan' : 'other';
  } catch {
    return 'nothing';
  }
}

/** The data directory of `npm start` (LIFESPAN_DATA_DIR, relative to the repository). */
const runningDataDir = () => resolve(ROOT, process.env['LIFESPAN_DATA_DIR'] ?? '.lifespan');

function runningAdminToken(): string {
  const fromEnv = process.env['LIFESPAN_ADMIN_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = join(runningDataDir(), 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new DemoFailure(`a server is running but its admin token is unknown: set LIFESPAN_ADMIN_TOKEN or keep ${file}`);
}

/** `node functions/local/main.ts` on a free port with a temporary data directory; resolves once it is ready. */
async function startOwnServer(): Promise<Service> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-demo-'));
  const port = await freePort();
  const adminToken = randomBytes(32).toString('base64url');
  // Its own process group, so that nothing it started can outlive a forced stop.
  const child = spawn(process.execPath, [join(ROOT, 'functions/local/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LIFESPAN_DATA_DIR: dataDir, LIFESPAN_ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true });
    })());
  stopStartedServer = stop;
  try {
    await waitForReady(child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, adminToken, dataDir, eventsFile: join(dataDir, 'events.jsonl'), stop };
}

function waitForReady(child: ChildProcess): Promise<void> {
  let output = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new DemoFailure(`the local server did not start within 90 s:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        child.stdout?.resume();
        done();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new DemoFailure(`the local server exited (code ${code}) before it was ready:\n${output}`));
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left in the group.
  }
}

/**
 * SIGTERM: the server then stops DynamoDB Local itself. Its process group is killed if that
 * takes too long, and afterwards in any case: a server interrupted while still starting has
 * not yet installed its handlers, and would leave DynamoDB Local running.
 */
async function stopChild(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(pid), 15_000);
    await exited;
    clearTimeout(timer);
  }
  killGroup(pid);
}
