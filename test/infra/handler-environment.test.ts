import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { accessEnvironment, GROUP_ACCESS, LOCAL_ONLY } from '../../infra/group-access.ts';
import type { HandlerGroup } from '../../functions/routes.ts';

const values = {
  stage: 'prod',
  issuer: 'https://auth.example.com',
  tableName: 'lifespan-prod',
  activeKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/active',
  otherKeyArns: ['arn:aws:kms:eu-west-1:111122223333:key/next'],
  loginUrl: 'https://login.example.com/login',
  successorKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/mac',
};

/**
 * Each Lambda entry, imported in a fresh process with exactly the environment the stack gives
 * its function: a variable the handler requires but the stack forgets fails here, not at the
 * first cold start in AWS.
 */
describe('deployed handler environments', () => {
  const deployed = Object.entries(GROUP_ACCESS).filter(([, access]) => access !== LOCAL_ONLY);

  it.each(deployed)('%s starts with the environment the stack sets', (group, access) => {
    if (access === LOCAL_ONLY) throw new Error('unreachable');
    const environment = accessEnvironment(group as HandlerGroup, access, values);
    const output = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import('./functions/handlers/${group}.ts'); console.log(typeof m.handler);`],
      { env: { PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', ...environment }, encoding: 'utf8' },
    );
    expect(output.trim()).toBe('function');
  });

  it('rotation-history (the stream handler) starts with the stage and the table name alone, as the stack sets them', () => {
    const start = (environment: Record<string, string>) =>
      execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import('./functions/handlers/rotation-history.ts'); console.log(typeof m.handler);`],
        { env: { PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', ...environment }, encoding: 'utf8', stdio: 'pipe' },
      );
    expect(start({ LIFESPAN_STAGE: 'prod', LIFESPAN_TABLE: 'lifespan-prod' }).trim()).toBe('function');
    // The stage names its metrics' dimension: without it the function must not start.
    expect(() => start({ LIFESPAN_TABLE: 'lifespan-prod' })).toThrow(/LIFESPAN_STAGE/);
  });

  it('the check fails when a required variable is missing', () => {
    expect(() =>
      execFileSync(process.execPath, ['--input-type=module', '-e', `await import('./functions/handlers/token.ts');`], {
        env: { PATH: process.env['PATH'], LIFESPAN_STAGE: 'prod' },
        stdio: 'pipe',
      }),
    ).toThrow(/LIFESPAN_ISSUER/);
  });
});
