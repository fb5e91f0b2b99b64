import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { registrationBody } from '../support/clients.ts';

/** `npm start` as a user runs it: a separate process with DynamoDB Local of its own. */
function start(dataDir: string, port: number, via: 'node' | 'npm' = 'node'): Promise<{ child: ChildProcess; output: () => string }> {
  const [command, args] = via === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, ['functions/local/main.ts']];
  const child = spawn(command as string, args as string[], {
    env: { ...process.env, PORT: String(port), LIFESPAN_DATA_DIR: dataDir, LIFESPAN_ADMIN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}

function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const javaProcessesFor = (dataDir: string) => processesMatching(`DynamoDBLocal.*${dataDir}/dynamodb`);

/** Server processes started with this data directory (read from their environment). */
function serverProcessesFor(dataDir: string): string[] {
  return processesMatching('^[^ ]*node functions/local/main.ts').filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`LIFESPAN_DATA_DIR=${dataDir}`);
    } catch {
      return false;
    }
  });
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

describe('npm start', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const pid of processesMatching('DynamoDBLocal.*lifespan-(start|npm|kill)-')) process.kill(Number(pid), 'SIGKILL');
  });

  it('serves discovery and the admin API, stops DynamoDB Local on SIGTERM and SIGINT, and keeps data across runs', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-start-'));
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;

    const first = await start(dataDir, port);
    children.push(first.child);
    expect(first.output()).toContain(`issuer:       ${issuer}`);
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    expect(first.output()).toContain(token);
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(issuer);
    const created = await fetch(`${issuer}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    expect(created.status).toBe(201);
    const { client_id: clientId } = (await created.json()) as { client_id: string };
    const kid = ((await (await fetch(`${issuer}/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys[0]!.kid;
    expect(javaProcessesFor(dataDir)).toHaveLength(1);

    expect(await stop(first.child, 'SIGTERM')).toBe(0);
    expect(javaProcessesFor(dataDir)).toEqual([]);

    const second = await start(dataDir, port);
    children.push(second.child);
    const read = await fetch(`${issuer}/admin/clients/${clientId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    const keys = ((await (await fetch(`${issuer}/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys;
    expect(keys[0]!.kid).toBe(kid);

    expect(await stop(second.child, 'SIGINT')).toBe(0);
    expect(javaProcessesFor(dataDir)).toEqual([]);
  }, 120_000);

  it('through npm: a SIGTERM to npm stops the server and DynamoDB Local', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-npm-'));
    const { child } = await start(dataDir, await freePort(), 'npm');
    children.push(child);
    expect(javaProcessesFor(dataDir)).toHaveLength(1);
    expect(serverProcessesFor(dataDir)).toHaveLength(1);
    await stop(child, 'SIGTERM');
    await eventually(() => javaProcessesFor(dataDir).length === 0);
    await eventually(() => serverProcessesFor(dataDir).length === 0);
  }, 120_000);

  it('after a SIGKILL of the server, the next start stops the orphaned DynamoDB Local and reuses the data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-kill-'));
    const port = await freePort();
    const first = await start(dataDir, port);
    children.push(first.child);
    const [orphan] = javaProcessesFor(dataDir);
    await stop(first.child, 'SIGKILL');
    expect(javaProcessesFor(dataDir)).toEqual([orphan]);
    const second = await start(dataDir, port);
    children.push(second.child);
    const running = javaProcessesFor(dataDir);
    expect(running).toHaveLength(1);
    expect(running).not.toContain(orphan);
    expect(await stop(second.child, 'SIGTERM')).toBe(0);
    expect(javaProcessesFor(dataDir)).toEqual([]);
  }, 120_000);

  /** Runs `npm start` until it exits on its own; its exit code and what it printed. */
  const runToExit = (dataDir: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['functions/local/main.ts'], {
        env: { ...process.env, PORT: '1', LIFESPAN_DATA_DIR: dataDir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => reject(new Error(`npm start did not exit:\n${stdout}${stderr}`)), 20_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  it.each([
    ['LIFESPAN_ADMIN_TOKEN', { LIFESPAN_ADMIN_TOKEN: 'short-token' }, undefined, /^lifespan: LIFESPAN_ADMIN_TOKEN must be at least 32 characters \(it has 11\)/],
    ['the stored .lifespan/admin-token', { LIFESPAN_ADMIN_TOKEN: '' }, 'short-token\n', /^lifespan: .*admin-token must hold an admin token of at least 32 characters \(it has 11\)/],
  ])('an admin token shorter than 32 characters in %s stops the start with one line, before DynamoDB Local starts', async (_where, env, stored, message) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-start-'));
    if (stored !== undefined) await writeFile(join(dataDir, 'admin-token'), stored);
    const { code, stdout, stderr } = await runToExit(dataDir, env);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    // The token itself is not printed, and nothing was started.
    expect(stderr).not.toContain('short-token');
    expect(javaProcessesFor(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'dynamodb.pid'))).toBe(false);
  }, 30_000);

  it('a SIGTERM while DynamoDB Local is still starting leaves nothing behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lifespan-kill-'));
    const child = spawn(process.execPath, ['functions/local/main.ts'], {
      env: { ...process.env, PORT: String(await freePort()), LIFESPAN_DATA_DIR: dataDir },
      stdio: 'ignore',
    });
    children.push(child);
    await eventually(() => javaProcessesFor(dataDir).length === 1);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await eventually(() => javaProcessesFor(dataDir).length === 0);
  }, 60_000);
});
