import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run, stageValues } from './run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The `for kv in name=value …` loops of the presets section, as parameter maps. */
function presets(): Array<Record<string, string>> {
  const text = readFileSync(`${ROOT}README.md`, 'utf8');
  const loops = [...text.matchAll(/for kv in ([\s\S]*?); do/g)].map((match) => match[1] ?? '');
  return loops.map((loop) => Object.fromEntries([...loop.matchAll(/([a-z_]+)=([^\s\\]+)/g)].map((pair) => [pair[1] ?? '', pair[2] ?? ''])));
}

describe('the presets in README.md', () => {
  it('are three', () => {
    expect(presets()).toHaveLength(3);
  });

  it.each(presets().map((preset, index) => [index, preset] as const))('preset %i lints clean: no error, no warning', async (_, preset) => {
    const result = await run(['lifetimes', 'lint', '--stage', 'prod', '--json'], new FakeSsm(stageValues(preset, 'prod')));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ errors: [], warnings: [] });
  });
});
