import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { accessEnvironment, GROUP_ACCESS, LOCAL_ONLY } from '../../infra/group-access.ts';
import type { FunctionName } from '../../infra/group-access.ts';

const values = {
  stage: 'prod',
  issuer: 'https://auth.example.com',
  tableName: 'lifespan-prod',
  activeKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/active',
  otherKeyArns: ['arn:aws:kms:eu-west-1:111122223333:key/next'],
  loginUrl: 'https://login.example.com/login',
  successorKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/mac',
  eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/lifespan-prod',
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
    const environment = accessEnvironment(group as FunctionName, access, values);
    const output = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import('./functions/handlers/${group}.ts'); console.log(typeof m.handler);`],
      { env: { PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', ...environment }, encoding: 'utf8' },
    );
    expect(output.trim()).toBe('function');
  });

  it('events (the stream handler) also starts signing SETs with the environment the stack sets for securityEventTokens, and not without its bus', () => {
    const start = (environment: Record<string, string>) =>
      execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import('./functions/handlers/events.ts'); console.log(typeof m.handler);`],
        { env: { PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', ...environment }, encoding: 'utf8', stdio: 'pipe' },
      );
    const access = GROUP_ACCESS.events;
    if (access === LOCAL_ONLY) throw new Error('unreachable');
    const withTokens = accessEnvironment('events', access, { ...values, securityEventTokens: true });
    expect(withTokens['LIFESPAN_SECURITY_EVENT_TOKENS']).toBe('true');
    expect(start(withTokens).trim()).toBe('function');
    const { LIFESPAN_EVENT_BUS: _bus, ...withoutBus } = accessEnvironment('events', access, values);
    expect(() => start(withoutBus)).toThrow(/LIFESPAN_EVENT_BUS/);
    const { LIFESPAN_KMS_KEY_ID: _key, ...withoutKey } = withTokens;
    expect(() => start(withoutKey)).toThrow(/LIFESPAN_KMS_KEY_ID/);
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
