import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settleParameters, snapshotOf } from '../../functions/lifetimes/config.ts';
import { resolveLifetimes } from '../../functions/lifetimes/resolver.ts';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

const cli = (args: string[], current: Record<string, string> = {}) => run(['lifetimes', ...args], new FakeSsm(stageValues(current)));

const PROFILES = {
  'clients/web/session_idle_ttl': '3600',
  'profiles/shared-device/session_idle_ttl': '600',
  'profiles/shared-device/access_token_ttl': '120',
  'profiles/shared-device/id_token_ttl': '600',
};

describe('lifespan lifetimes set --profile', () => {
  it('writes /lifespan/<stage>/profiles/<profile>/<name>', async () => {
    const result = await cli(['set', 'session_idle_ttl', '300', '--stage', 'test', '--profile', 'kiosk']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.ssm.puts).toEqual([{ Name: '/lifespan/test/profiles/kiosk/session_idle_ttl', Value: '300', Type: 'String', Overwrite: true }]);
  });

  it.each([
    ['turning rotation off', ['refresh_token_rotation', 'false'], {}, /a lifetime profile only tightens: refresh_token_rotation false/],
    ['turning a DPoP nonce off', ['dpop_nonce_required', 'false'], {}, /only tightens/],
    ['JWT access tokens', ['access_token_format', 'jwt'], {}, /only tightens: access_token_format jwt is the loosest value/],
    ['a value above a hard limit', ['access_token_ttl', '86401'], {}, /hard limit of 86400/],
    ['a reuse interval above its ceiling', ['refresh_token_reuse_interval', '301'], {}, /hard limit of 300/],
    ['a global-only parameter', ['clock_skew_tolerance', '10'], {}, /cannot be set per lifetime profile/],
    [
      'an absolute lifetime below the idle one the profile sets',
      ['session_absolute_ttl', '300'],
      { 'profiles/kiosk/session_idle_ttl': '600' },
      /profiles\/kiosk\/session_absolute_ttl \(300\) is shorter than profiles\/kiosk\/session_idle_ttl \(600\) for profile kiosk/,
    ],
  ] as const)('refuses %s, writing nothing, exit 1', async (_, [name, value], current, reason) => {
    const result = await cli(['set', name, value, '--stage', 'test', '--profile', 'kiosk'], current);
    expect(result.code).toBe(1);
    expect(result.ssm.puts).toEqual([]);
    expect(result.stderr).toMatch(reason);
  });

  it('accepts a profile value longer than the default: it is simply not used', async () => {
    const result = await cli(['set', 'access_token_ttl', '3600', '--stage', 'test', '--profile', 'kiosk']);
    expect(result.code).toBe(0);
    expect(result.ssm.puts).toHaveLength(1);
  });
});

describe('lifespan lifetimes get --profile', () => {
  it('lists only that profile’s values', async () => {
    const result = await cli(['get', '--stage', 'test', '--profile', 'shared-device', '--json'], { ...PROFILES, 'profiles/other/access_token_ttl': '60' });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Array<{ name: string }>).map((entry) => entry.name)).toEqual([
      'profiles/shared-device/access_token_ttl',
      'profiles/shared-device/id_token_ttl',
      'profiles/shared-device/session_idle_ttl',
    ]);
  });

  it('says when a profile value is rejected by the service', async () => {
    const result = await cli(['get', 'refresh_token_rotation', '--stage', 'test', '--profile', 'kiosk'], { 'profiles/kiosk/refresh_token_rotation': 'false' });
    expect(result.stdout).toMatch(/^false\t\(rejected by the service: a lifetime profile only tightens/);
  });
});

describe('lifespan lifetimes explain --profile', () => {
  it('prints what the service resolves for the login’s profile, each value with source profile where it tightens', async () => {
    const result = await cli(['explain', '--stage', 'test', '--client', 'web', '--profile', 'shared-device', '--json'], PROFILES);
    expect(result.code, result.stderr).toBe(0);
    const expected = resolveLifetimes(snapshotOf(settleParameters(new Map(Object.entries(PROFILES)), new Map()), 0), { clientId: 'web', profile: 'shared-device' });
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(JSON.parse(result.stdout)).toMatchObject({
      session_idle_ttl: { value: 600, source: 'profile' },
      access_token_ttl: { value: 120, source: 'profile' },
      // Longer than the default: not used.
      id_token_ttl: { value: 300, source: 'default' },
    });
  });

  it('refuses a profile the configuration does not name, exit 1', async () => {
    const result = await cli(['explain', '--stage', 'test', '--profile', 'shared-devices'], PROFILES);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('lifespan: no lifetime profile shared-devices in /lifespan/test/ (nothing is set under profiles/shared-devices/)');
  });

  it('shows the source in text', async () => {
    const result = await cli(['explain', '--stage', 'test', '--profile', 'shared-device'], PROFILES);
    expect(result.stdout).toContain('Lifetimes for lifetime profile shared-device in /lifespan/test/');
    expect(result.stdout).toMatch(/session_idle_ttl\s+600 \(10 min\)\s+profile/);
  });
});

describe('lifespan lifetimes lint, for profiles', () => {
  const lint = async (values: Record<string, string>) => {
    const result = await cli(['lint', '--stage', 'test', '--json'], values);
    return { code: result.code, report: JSON.parse(result.stdout) as { errors: Array<{ name: string; reason: string }>; warnings: Array<{ code: string; scope: string; message: string }> } };
  };

  it('reports a loosening profile value as an error', async () => {
    const { code, report } = await lint({ 'profiles/kiosk/refresh_token_rotation': 'false' });
    expect(code).toBe(1);
    expect(report.errors).toEqual([{ name: 'profiles/kiosk/refresh_token_rotation', value: 'false', reason: expect.stringMatching(/only tightens/) }]);
  });

  it('warns about a profile that tightens nothing', async () => {
    const { code, report } = await lint({ 'clients/web/access_token_ttl': '60', 'profiles/lax/access_token_ttl': '900', 'profiles/lax/session_idle_ttl': '86400' });
    expect(code).toBe(0);
    expect(report.warnings).toEqual([
      { code: 'PROFILE_TIGHTENS_NOTHING', profile: 'lax', scope: 'profiles/lax', message: expect.stringMatching(/^profile lax tightens nothing/) },
    ]);
  });

  it('does not warn about a profile that tightens only for some clients', async () => {
    const { report } = await lint({ 'clients/legacy/access_token_ttl': '3600', 'profiles/short/access_token_ttl': '1800' });
    expect(report.warnings).toEqual([]);
  });

  it('warns about values and profiles no login can reach', async () => {
    const long = 'p'.repeat(129);
    const { report } = await lint({ 'profiles/m2m/client_credentials_token_ttl': '60', [`profiles/${long}/access_token_ttl`]: '60' });
    expect(report.warnings.map(({ code, scope }) => ({ code, scope }))).toEqual([
      { code: 'PROFILE_VALUE_UNREACHED', scope: 'profiles/m2m' },
      { code: 'PROFILE_TIGHTENS_NOTHING', scope: 'profiles/m2m' },
      { code: 'PROFILE_UNREACHABLE', scope: `profiles/${long}` },
    ]);
    expect(report.warnings[0]!.message).toBe('profiles/m2m/client_credentials_token_ttl is never applied: client credentials tokens come from no login');
  });
});

describe('--file: the local parameters file instead of SSM', () => {
  const file = async (content: string) => {
    const path = join(await mkdtemp(join(tmpdir(), 'lifespan-cli-')), 'parameters.json');
    await writeFile(path, content);
    return path;
  };

  it('reads the file, nested or flat, as the local server does (and never SSM)', async () => {
    const nested = await file(JSON.stringify({ profiles: { kiosk: { session_idle_ttl: 300 } }, 'clients/web/session_idle_ttl': 3600 }));
    const ssm = new FakeSsm();
    const result = await run(['lifetimes', 'explain', '--file', nested, '--client', 'web', '--profile', 'kiosk', '--json'], ssm);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ session_idle_ttl: { value: 300, source: 'profile' } });
    expect(ssm.reads).toEqual([]);
    const lint = await run(['lifetimes', 'lint', '--file', nested]);
    expect(lint.stdout).toContain(`0 errors, 0 warnings in ${nested}`);
  });

  it('reports a missing or broken file (exit 3), rather than explaining the defaults', async () => {
    const missing = join(tmpdir(), 'lifespan-no-such-dir', 'parameters.json');
    const absent = await run(['lifetimes', 'explain', '--file', missing]);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain(`lifespan: could not read ${missing}`);
    const broken = await run(['lifetimes', 'lint', '--file', await file('{ not json')]);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/not valid JSON/);
  });
});

describe('the command line, for profiles and the picture', () => {
  it.each([
    [['get', '--stage', 'test', '--client', 'web', '--profile', 'kiosk']],
    [['lint', '--stage', 'test', '--profile', 'kiosk']],
    [['explain', '--stage', 'test', '--client', 'a', '--client', 'b']],
    [['explain', '--stage', 'test', '--profile', 'a', '--profile', 'b']],
    [['get', '--stage', 'test', '--html']],
    [['explain', '--stage', 'test', '--html', '--json']],
    [['explain', '--stage', 'test', '--file', 'p.json']],
    [['set', 'access_token_ttl', '60', '--file', 'p.json']],
    [['explain', '--file', '']],
  ])('refuses %j with exit 2', async (argv) => {
    const result = await run(['lifetimes', ...argv]);
    expect(result.code, result.stderr).toBe(2);
  });

  it('writes the page with --html, for several clients and profiles', async () => {
    const result = await cli(['explain', '--stage', 'test', '--html', '--client', 'web', '--client', 'spa', '--profile', 'shared-device'], PROFILES);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.startsWith('<!doctype html>')).toBe(true);
    // Two clients × (no profile, shared-device).
    expect(result.stdout.match(/<section class="view"/g)).toHaveLength(4);
    expect(result.stdout).not.toMatch(/<script|<link|src=|url\(/i);
  });
});
