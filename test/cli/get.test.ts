import { describe, expect, it } from 'vitest';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

const RAW = { access_token_ttl: '600', 'clients/web/access_token_ttl': '90000', 'audiences/api/access_token_format': 'opaque' };
const get = (extra: string[]) => run(['lifetimes', 'get', '--stage', 'test', ...extra], new FakeSsm({ ...stageValues(RAW), '/lifespan/other/access_token_ttl': '1' }));

describe('lifespan lifetimes get', () => {
  it('lists what is stored for the stage, with the service verdict on each', async () => {
    const result = await get([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/access_token_ttl +600 +ok/);
    expect(result.stdout).toMatch(/clients\/web\/access_token_ttl +90000 +rejected: 90000 exceeds the hard limit/);
    expect(result.stdout).toMatch(/audiences\/api\/access_token_format +opaque +ok/);
    expect(result.stdout).not.toMatch(/ 1 /);
  });

  it('narrows to one client or audience', async () => {
    const result = await get(['--client', 'web', '--json']);
    expect(JSON.parse(result.stdout)).toEqual([
      { name: 'clients/web/access_token_ttl', value: '90000', rejected: '90000 exceeds the hard limit of 86400 seconds' },
    ]);
  });

  it('prints one value, or that it is not set and its default', async () => {
    expect((await get(['access_token_ttl'])).stdout).toBe('600');
    expect((await get(['id_token_ttl'])).stdout).toBe('id_token_ttl is not set (default 300)');
    expect(JSON.parse((await get(['access_token_format', '--audience', 'api', '--json'])).stdout)).toEqual({
      name: 'audiences/api/access_token_format',
      value: 'opaque',
      default: 'jwt',
    });
  });

  it('refuses an unknown name as a usage error', async () => {
    expect((await get(['nope'])).code).toBe(2);
  });
});
