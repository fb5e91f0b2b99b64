import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.ts';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run } from './run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('lifespan command line', () => {
  it('prints help with --help, -h and help, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['lifetimes', '--help'], ['lifetimes', 'set', '--help']]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(0);
      expect(result.stdout).toContain('Usage: lifespan lifetimes <command> --stage <stage>');
    }
  });

  const mistakes: string[][] = [
    [],
    ['lifetime', 'get', '--stage', 'test'],
    ['lifetimes'],
    ['lifetimes', 'show', '--stage', 'test'],
    ['lifetimes', 'get'],
    ['lifetimes', 'get', '--stage'],
    ['lifetimes', 'get', '--stage', 'Bad/Stage'],
    ['lifetimes', 'get', '--stage', 'test', '--verbose'],
    ['lifetimes', 'get', '--stage', 'test', 'a', 'b'],
    ['lifetimes', 'lint', '--stage', 'test', 'extra'],
    ['lifetimes', 'explain', '--stage', 'test', '--client-type', 'native'],
    ['lifetimes', 'explain', '--stage', 'test', 'access_token_ttl'],
  ];

  it.each(mistakes)('answers a usage mistake with exit 2 and a pointer to --help: %j', async (...argv) => {
    const ssm = new FakeSsm();
    const result = await run(argv, ssm);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^lifespan: .+\nRun 'npx lifespan --help' for usage\.$/);
    expect(ssm.reads).toEqual([]);
  });

  it('takes a value that starts with "-" after an option that needs one (client ids are base64url)', () => {
    for (const argv of [
      ['lifetimes', 'explain', '--stage', 'test', '--client', '-Vw6zaodtYTE2V62QZOmYj', '--audience', '-api'],
      ['lifetimes', 'explain', '--stage', 'test', '--client=-Vw6zaodtYTE2V62QZOmYj', '--audience=-api'],
    ]) {
      expect(parseCommandLine(argv)).toMatchObject({ command: 'explain', clientId: '-Vw6zaodtYTE2V62QZOmYj', audience: '-api' });
    }
    expect(() => parseCommandLine(['lifetimes', 'explain', '--stage', 'test', '-Vw6z'])).toThrow();
  });

  it('is the package bin, runnable by Node 22 as is', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin).toEqual({ lifespan: 'cli/lifespan.ts' });
    expect(readFileSync(`${ROOT}cli/lifespan.ts`, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const help = spawnSync(process.execPath, [`${ROOT}cli/lifespan.ts`, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: lifespan lifetimes');
    const usage = spawnSync(process.execPath, [`${ROOT}cli/lifespan.ts`, 'lifetimes', 'get'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
