import { describe, expect, it } from 'vitest';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

const lint = (raw: Record<string, string>, extra: string[] = []) =>
  run(['lifetimes', 'lint', '--stage', 'test', ...extra], new FakeSsm(stageValues(raw)));

describe('lifespan lifetimes lint', () => {
  it('exits 0 on an empty stage (the defaults are clean)', async () => {
    const result = await lint({});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 errors, 0 warnings');
  });

  it('exits 0 with warnings only, listing each with its scope', async () => {
    const result = await lint({ access_token_ttl: '7200', 'clients/legacy/refresh_token_rotation': 'false' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/warning +global: ACCESS_TOKEN_TTL_LONG/);
    expect(result.stdout).toMatch(/warning +clients\/legacy: REFRESH_TOKEN_ROTATION_OFF/);
    // The global warning is not repeated for every client that inherits it.
    expect(result.stdout).not.toMatch(/clients\/legacy: ACCESS_TOKEN_TTL_LONG/);
    expect(result.stdout).toContain('0 errors, 2 warnings');
  });

  it('exits 1 and names every rejected value with its reason', async () => {
    const result = await lint({
      access_token_ttl: '90000',
      'clients/web/clock_skew_tolerance': '10',
      refresh_token_absolute_ttl: '3600',
      typo_ttl: '5',
      id_token_ttl: '300',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/error +access_token_ttl = "90000": 90000 exceeds the hard limit of 86400 seconds/);
    expect(result.stdout).toMatch(/error +clients\/web\/clock_skew_tolerance = "10": clock_skew_tolerance cannot be set per client/);
    expect(result.stdout).toMatch(/error +refresh_token_absolute_ttl = "3600": .*cannot be below its idle one/);
    expect(result.stdout).toMatch(/error +typo_ttl = "5": unknown parameter/);
    expect(result.stdout).not.toMatch(/error +id_token_ttl/);
    expect(result.stdout).toContain('4 errors');
  });

  it('gives the same report as JSON for pipelines', async () => {
    const result = await lint({ access_token_ttl: '90000', session_idle_ttl: '172800' }, ['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { stage: string; errors: unknown[]; warnings: unknown[] };
    expect(report.stage).toBe('test');
    expect(report.errors).toEqual([{ name: 'access_token_ttl', value: '90000', reason: '90000 exceeds the hard limit of 86400 seconds' }]);
    expect(report.warnings).toEqual([expect.objectContaining({ scope: 'global', code: 'SESSION_IDLE_TTL_LONG', parameter: 'session_idle_ttl', value: 172800 })]);
  });

  it('exits 3 when SSM cannot be read, and 2 for a scope flag', async () => {
    const ssm = new FakeSsm();
    ssm.fail({ mode: 'throttle' });
    expect((await run(['lifetimes', 'lint', '--stage', 'test'], ssm)).code).toBe(3);
    expect((await lint({}, ['--client', 'web'])).code).toBe(2);
  });

  it('never writes', async () => {
    const result = await lint({ access_token_ttl: '90000' });
    expect(result.ssm.puts).toEqual([]);
  });
});
