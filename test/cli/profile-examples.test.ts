import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeSsm } from '../support/fake-ssm.ts';
import { run } from './run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The `npx lifespan lifetimes set … --profile …` lines of the README's worked examples. */
function examples(): Array<{ profile: string; name: string; value: string }> {
  const text = readFileSync(`${ROOT}README.md`, 'utf8');
  return [...text.matchAll(/^npx lifespan lifetimes set (\S+) (\S+) --stage prod --profile (\S+)$/gm)].map((match) => ({
    name: match[1] ?? '',
    value: match[2] ?? '',
    profile: match[3] ?? '',
  }));
}

describe('the lifetime profile examples in README.md', () => {
  it('are three profiles', () => {
    expect([...new Set(examples().map((example) => example.profile))]).toEqual(['shared-device', 'untrusted-network', 'admin-console']);
  });

  it('are each accepted by set, lint clean together, and each tighten what they say', async () => {
    const ssm = new FakeSsm();
    for (const { profile, name, value } of examples()) {
      const result = await run(['lifetimes', 'set', name, value, '--stage', 'prod', '--profile', profile], ssm);
      expect(result.code, `${profile} ${name}=${value}: ${result.stderr}`).toBe(0);
    }
    const lint = await run(['lifetimes', 'lint', '--stage', 'prod', '--json'], ssm);
    expect(lint.code).toBe(0);
    expect(JSON.parse(lint.stdout)).toMatchObject({ errors: [], warnings: [] });
    for (const profile of ['shared-device', 'untrusted-network', 'admin-console']) {
      const explained = JSON.parse((await run(['lifetimes', 'explain', '--stage', 'prod', '--profile', profile, '--json'], ssm)).stdout) as Record<string, { value: unknown; source: string }>;
      for (const { name, value } of examples().filter((example) => example.profile === profile)) {
        // Each value set is what such a login gets.
        expect(String(explained[name]?.value), `${profile} ${name}`).toBe(value);
      }
    }
  });
});
