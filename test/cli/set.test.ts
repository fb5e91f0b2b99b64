import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lint } from '../../cli/lifetimes/lint.ts';
import { PARAMETER_NAMES } from '../../functions/lifetimes/parameters.ts';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

const set = (args: string[], current: Record<string, string> = {}) =>
  run(['lifetimes', 'set', '--stage', 'test', ...args], new FakeSsm(stageValues(current)));

describe('lifespan lifetimes set', () => {
  it('writes a valid value as a String parameter, replacing the old one', async () => {
    const result = await set(['access_token_ttl', '600'], { access_token_ttl: '900' });
    expect(result.code).toBe(0);
    expect(result.ssm.puts).toEqual([{ Name: '/lifespan/test/access_token_ttl', Value: '600', Type: 'String', Overwrite: true }]);
    expect(result.ssm.values()['/lifespan/test/access_token_ttl']).toBe('600');
    expect(result.stdout).toContain('/lifespan/test/access_token_ttl = 600');
  });

  it('writes overrides under clients/<id>/ and audiences/<id>/', async () => {
    const client = await set(['access_token_ttl', '300', '--client', 'web']);
    expect(client.ssm.puts.map((put) => put.Name)).toEqual(['/lifespan/test/clients/web/access_token_ttl']);
    const audience = await set(['access_token_format', 'opaque', '--audience', 'payments']);
    expect(audience.ssm.puts.map((put) => put.Name)).toEqual(['/lifespan/test/audiences/payments/access_token_format']);
  });

  it('accepts a value with a warning, and says so', async () => {
    const result = await set(['access_token_ttl', '7200']);
    expect(result.code).toBe(0);
    expect(result.ssm.puts).toHaveLength(1);
    expect(result.stderr).toContain('ACCESS_TOKEN_TTL_LONG');
  });

  const refusals: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['an unknown name', ['access_token_tll', '600'], {}, /unknown parameter/],
    ['a value that is not a number', ['access_token_ttl', '10m'], {}, /not a whole number/],
    ['a negative number', ['access_token_ttl', '-5'], {}, /not a whole number/],
    ['zero where a positive lifetime is needed', ['id_token_ttl', '0'], {}, /not a positive number/],
    ['a leading zero', ['access_token_ttl', '0600'], {}, /decimal digits/],
    ['an access token above the hard limit', ['access_token_ttl', '86401'], {}, /hard limit of 86400/],
    ['an override above the hard limit', ['access_token_ttl', '90000', '--client', 'web'], {}, /hard limit of 86400/],
    ['an audience override above the hard limit', ['client_credentials_token_ttl', '90000', '--audience', 'api'], {}, /hard limit/],
    ['a clock skew above 300', ['clock_skew_tolerance', '301'], {}, /hard limit of 300/],
    ['a code lifetime above 600', ['authorization_code_ttl', '601'], {}, /hard limit of 600/],
    ['a reuse interval above its ceiling', ['refresh_token_reuse_interval', '301'], {}, /hard limit of 300/],
    ['a boolean that is not true or false', ['refresh_token_rotation', 'yes'], {}, /not a boolean/],
    ['an enum outside its values', ['access_token_format', 'jwe'], {}, /not one of jwt, opaque/],
    ['a global-only parameter set per client', ['clock_skew_tolerance', '10', '--client', 'web'], {}, /cannot be set per client/],
    ['a client-only parameter set per audience', ['refresh_token_idle_ttl', '60', '--audience', 'api'], {}, /cannot be set per audience/],
    ['an absolute refresh lifetime below the default idle one', ['refresh_token_absolute_ttl', '86400'], {}, /cannot be below its idle one/],
    ['an absolute refresh lifetime below the configured idle one', ['refresh_token_absolute_ttl', '3600'], { refresh_token_idle_ttl: '7200' }, /shorter than refresh_token_idle_ttl \(7200\)/],
    ['an idle refresh lifetime above the absolute one', ['refresh_token_idle_ttl', '400000'], { refresh_token_absolute_ttl: '300000' }, /cannot be below its idle one/],
    ['a session absolute below the session idle', ['session_absolute_ttl', '60'], {}, /session_absolute_ttl \(60\) is shorter than session_idle_ttl/],
    [
      'a global idle lifetime above what a client override allows',
      ['refresh_token_idle_ttl', '200000'],
      { 'clients/web/refresh_token_absolute_ttl': '100000' },
      /for client web/,
    ],
    [
      'a client override below the inherited idle lifetime',
      ['refresh_token_absolute_ttl', '3600', '--client', 'web'],
      { refresh_token_idle_ttl: '7200' },
      /for client web/,
    ],
  ];

  it.each(refusals)('refuses %s, exit 1, without writing', async (_, args, current, reason) => {
    const result = await set(args, current);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(reason);
    expect(result.ssm.puts).toEqual([]);
  });

  it('reports a refusal as JSON with --json', async () => {
    const result = await set(['access_token_ttl', '90000', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'access_token_ttl', value: '90000', written: false, reasons: [expect.stringContaining('hard limit')] });
    expect(result.ssm.puts).toEqual([]);
  });

  it('lets a fix through even when other values of the stage are broken', async () => {
    const result = await set(['refresh_token_idle_ttl', '3600'], { refresh_token_absolute_ttl: '7200', access_token_ttl: 'oops' });
    expect(result.code).toBe(0);
    expect(result.ssm.puts).toHaveLength(1);
  });

  it('writes nothing and exits 3 when SSM cannot be read', async () => {
    const ssm = new FakeSsm();
    ssm.fail({ mode: 'access_denied' });
    const result = await run(['lifetimes', 'set', '--stage', 'test', 'access_token_ttl', '600'], ssm);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AccessDeniedException');
    expect(ssm.puts).toEqual([]);
  });

  it('refuses usage mistakes with exit 2 before talking to SSM', async () => {
    for (const args of [
      ['access_token_ttl'],
      ['access_token_ttl', '600', 'extra'],
      ['clients/web/access_token_ttl', '600'],
      ['access_token_ttl', '600', '--client', 'web', '--audience', 'api'],
      ['access_token_ttl', '600', '--client', 'no/slash'],
      ['access_token_ttl', '600', '--client-type', 'public'],
    ]) {
      const result = await set(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.ssm.puts).toEqual([]);
    }
  });
});

const VALUES = ['0', '1', '30', '60', '300', '600', '601', '3600', '7200', '86400', '86401', '2592000', '31536000', 'true', 'false', 'jwt', 'opaque', 'x', '-1', '0600'];
const names = fc.constantFrom(...PARAMETER_NAMES);
const scope = fc.constantFrom('', 'clients/web/', 'clients/spa/', 'audiences/api/');
const entry = fc.tuple(scope, names, fc.constantFrom(...VALUES));

describe('lifespan lifetimes set, for any configuration', () => {
  it('writes only values after which the service rejects nothing of that name, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 12 }), entry, async (current, [prefix, name, value]) => {
        const raw = Object.fromEntries(current.map(([p, n, v]) => [`${p}${n}`, v]));
        const args = [name, value];
        if (prefix.startsWith('clients/')) args.push('--client', prefix.split('/')[1] ?? '');
        if (prefix.startsWith('audiences/')) args.push('--audience', prefix.split('/')[1] ?? '');
        const result = await set(args, raw);
        const relative = `${prefix}${name}`;
        if (result.code === 1) {
          expect(result.ssm.puts).toEqual([]);
          return;
        }
        expect(result.code).toBe(0);
        expect(result.ssm.puts).toEqual([{ Name: `/lifespan/test/${relative}`, Value: value, Type: 'String', Overwrite: true }]);
        const after = lint(new Map(Object.entries({ ...raw, [relative]: value })), 0);
        expect(after.errors.filter((error) => error.name === relative)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
