import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
// Type-only: ties this test to the demo's module (scripts/ is in tsconfig's `include`, so `npm run typecheck` checks it anyway) without running it.
import type * as demoScript from '../../scripts/demo.ts';

export type DemoScript = typeof demoScript;

/** Ids of live processes whose command line contains `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** `npm run demo` as a user runs it; resolves with its exit code and output. */
function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo'], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 50_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('with nothing on PORT: starts its own server, walks every step, exits 0 showing reuse detected', async () => {
    const result = await runDemo({ PORT: String(await freePort()), LIFESPAN_ADMIN_TOKEN: '' });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('starting a throw-away local server');
    expect(result.stdout).toMatch(/invalid_grant[\s\S]*invalid_grant/);
    expect(result.stdout).toContain('reuse_detected');
    expect(result.stdout).toMatch(/reuse detected: family [A-Za-z0-9_-]{22} revoked/);
    // The security event, as events.jsonl has it.
    const familyId = /reuse detected: family ([A-Za-z0-9_-]{22}) revoked/.exec(result.stdout)?.[1];
    expect(result.stdout).toContain('"detail-type": "Refresh Token Reuse Detected"');
    expect(result.stdout).toContain(`"family_id": "${familyId}"`);
    expect(result.stdout).toMatch(/The security event: one JSON line in \S+events\.jsonl/);
    // Stopped and cleaned up: no data directory left, no process (DynamoDB Local included) still using it.
    const dataDir = /its data \((\S+)\) deleted/.exec(result.stdout)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
    expect(processesMentioning(dataDir!)).toEqual([]);
  }, 60_000);

  it('with a server already running (npm start): uses it with the admin token from LIFESPAN_ADMIN_TOKEN', async () => {
    const result = await runDemo({ PORT: new URL(service.url).port, LIFESPAN_ADMIN_TOKEN: service.adminToken, LIFESPAN_DATA_DIR: dirname(service.eventsFile) });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(`Using the server already running at ${service.url}`);
    expect(result.stdout).toContain('reuse detected');
    expect(result.stdout).toContain(`The security event: one JSON line in ${service.eventsFile}`);
    expect(result.stdout).toContain('"detail-type": "Refresh Token Reuse Detected"');
  }, 60_000);

  it('exits non-zero when a step goes wrong (a wrong admin token)', async () => {
    const result = await runDemo({ PORT: new URL(service.url).port, LIFESPAN_ADMIN_TOKEN: 'not-the-admin-token' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('registering the web app: expected HTTP 201, got 401');
  }, 60_000);
});
