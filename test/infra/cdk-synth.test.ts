import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npx cdk synth', () => {
  it('synthesizes offline with no context at all (the login URL becomes a deploy-time parameter)', () => {
    const output = mkdtempSync(join(tmpdir(), 'lifespan-synth-'));
    const env = { ...process.env };
    for (const name of ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'AWS_PROFILE']) delete env[name];
    execFileSync('npx', ['cdk', 'synth', '-q', '--output', output], {
      env,
      stdio: 'pipe',
      timeout: 120_000,
    });
    const template = JSON.parse(readFileSync(join(output, 'Lifespan-prod.template.json'), 'utf8')) as { Parameters: Record<string, unknown> };
    expect(Object.keys(template.Parameters)).toEqual(expect.arrayContaining(['LoginUrl', 'DeviceVerificationUrl']));
  }, 150_000);
});
