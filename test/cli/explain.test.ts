import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settleParameters, snapshotOf } from '../../functions/lifetimes/config.ts';
import { PARAMETER_NAMES } from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes, type ResolveContext } from '../../functions/lifetimes/resolver.ts';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

/** What the service computes for the same raw values and context. */
function expected(raw: Record<string, string>, context: ResolveContext): unknown {
  return JSON.parse(JSON.stringify(resolveLifetimes(snapshotOf(settleParameters(new Map(Object.entries(raw)), new Map()), 0), context)));
}

function flags(context: ResolveContext): string[] {
  return [
    ...(context.clientId !== undefined ? ['--client', context.clientId] : []),
    ...(context.audience !== undefined ? ['--audience', context.audience] : []),
    ...(context.clientType !== undefined ? ['--client-type', context.clientType] : []),
  ];
}

const explain = (raw: Record<string, string>, context: ResolveContext, extra: string[] = []) =>
  run(['lifetimes', 'explain', '--stage', 'test', ...flags(context), ...extra], new FakeSsm(stageValues(raw)));

const CONFIG = {
  access_token_ttl: '600',
  'clients/web/access_token_ttl': '120',
  'clients/web/refresh_token_rotation': 'false',
  'audiences/payments/access_token_ttl': '60',
  'clients/spa/id_token_ttl': '90000',
  id_token_ttl: '900',
  session_idle_ttl: '172800',
};

describe('lifespan lifetimes explain', () => {
  const contexts: ResolveContext[] = [
    {},
    { clientId: 'web' },
    { clientId: 'web', audience: 'payments' },
    { clientId: 'spa', clientType: 'public' },
    { clientId: 'unknown', clientType: 'confidential', audience: 'orders' },
  ];

  it.each(contexts)('prints with --json exactly what resolveLifetimes gives the service for %o', async (context) => {
    const result = await explain(CONFIG, context, ['--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expected(CONFIG, context));
  });

  it('shows every parameter with its value and source in text, plus the warnings', async () => {
    const result = await explain(CONFIG, { clientId: 'spa', clientType: 'public' });
    expect(result.code).toBe(0);
    const resolved = resolveLifetimes(snapshotOf(settleParameters(new Map(Object.entries(CONFIG)), new Map()), 0), { clientId: 'spa', clientType: 'public' });
    for (const name of PARAMETER_NAMES) {
      const line = result.stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      expect(line).toContain(String(resolved[name].value));
      expect(line).toContain(resolved[name].source);
    }
    expect(result.stdout).toMatch(/access_token_ttl +300 \(5 min\) +browser/);
    expect(result.stdout).toMatch(/id_token_ttl .*guardrail: clients\/spa\/id_token_ttl = "90000" rejected: 90000 exceeds the hard limit/);
    expect(result.stdout).toContain('ID_TOKEN_TTL_LONG');
    expect(result.stdout).toContain('SESSION_IDLE_TTL_LONG');
  });

  it('reads every page of a large configuration', async () => {
    const raw: Record<string, string> = {};
    for (let index = 0; index < 45; index++) raw[`clients/c${index}/access_token_ttl`] = String(100 + index);
    raw['clients/c44/id_token_ttl'] = '77';
    const result = await explain(raw, { clientId: 'c44' }, ['--json']);
    expect(JSON.parse(result.stdout)).toEqual(expected(raw, { clientId: 'c44' }));
    expect(JSON.parse(result.stdout)).toMatchObject({ access_token_ttl: { value: 144, source: 'client' }, id_token_ttl: { value: 77, source: 'client' } });
    expect(result.ssm.reads.length).toBeGreaterThan(4);
  });

  it('equals resolveLifetimes for any configuration and context', async () => {
    const values = ['0', '1', '60', '300', '601', '3600', '90000', '2592000', 'true', 'false', 'jwt', 'opaque', 'bad'];
    const entry = fc.tuple(fc.constantFrom('', 'clients/web/', 'clients/spa/', 'audiences/api/', 'audiences/web/'), fc.constantFrom(...PARAMETER_NAMES), fc.constantFrom(...values));
    const context = fc.record(
      { clientId: fc.constantFrom('web', 'spa', 'other'), audience: fc.constantFrom('api', 'web'), clientType: fc.constantFrom<'public' | 'confidential'>('public', 'confidential') },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 15 }), context, async (entries, ctx) => {
        const raw = Object.fromEntries(entries.map(([prefix, name, value]) => [`${prefix}${name}`, value]));
        const result = await explain(raw, ctx, ['--json']);
        expect(JSON.parse(result.stdout)).toEqual(expected(raw, ctx));
      }),
      { numRuns: 200 },
    );
  });

  it('never writes', async () => {
    const result = await explain(CONFIG, { clientId: 'web' });
    expect(result.ssm.puts).toEqual([]);
  });
});
