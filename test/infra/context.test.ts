import { describe, expect, it } from 'vitest';
import { stackFromContext } from '../../infra/context.ts';

const from = (context: Record<string, unknown>) => stackFromContext((name) => context[name]);

describe('stack props from CDK context', () => {
  it('names the stack after the stage, prod by default', () => {
    expect(from({})).toEqual({ id: 'Lifespan-prod', props: { stage: 'prod' } });
    expect(from({ stage: 'staging' }).id).toBe('Lifespan-staging');
  });

  it('passes every documented setting through, parsed', () => {
    expect(
      from({
        stage: 'prod',
        loginUrl: 'https://login.example.com/login',
        domainName: 'auth.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc',
        issuer: 'https://auth.example.com',
        keySpec: 'none',
        nextKeySpec: 'ECC_NIST_P256',
        activeKeySlot: 'next',
        alarmEmail: 'oncall@example.com',
        throttlingRateLimit: '500',
        throttlingBurstLimit: 1000,
        serverErrorRatePercent: '0.5',
        tableDeletionProtection: 'false',
        rotationHistory: false,
        tracing: 'true',
        eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/security',
        securityEventTokens: 'true',
        reuseAlarmThreshold: '20',
      }).props,
    ).toEqual({
      stage: 'prod',
      loginUrl: 'https://login.example.com/login',
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc',
      issuer: 'https://auth.example.com',
      keySpec: 'none',
      nextKeySpec: 'ECC_NIST_P256',
      activeKeySlot: 'next',
      alarmEmail: 'oncall@example.com',
      throttlingRateLimit: 500,
      throttlingBurstLimit: 1000,
      serverErrorRatePercent: 0.5,
      tableDeletionProtection: false,
      rotationHistory: false,
      tracing: true,
      eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/security',
      securityEventTokens: true,
      reuseAlarmThreshold: 20,
    });
  });

  it.each([
    [{ keySpec: 'RSA_4096' }, /keySpec must be one of/],
    [{ nextKeySpec: 'none' }, /nextKeySpec must be one of/],
    [{ activeKeySlot: 'old' }, /activeKeySlot must be one of current, next/],
    [{ throttlingRateLimit: 'fast' }, /throttlingRateLimit must be a number/],
    [{ tableDeletionProtection: 'no' }, /tableDeletionProtection must be one of true, false/],
    [{ rotationHistory: 'off' }, /rotationHistory must be one of true, false/],
    [{ tracing: 'on' }, /tracing must be one of true, false/],
    [{ securityEventTokens: 'yes' }, /securityEventTokens must be one of true, false/],
    [{ reuseAlarmThreshold: 'many' }, /reuseAlarmThreshold must be a number/],
    [{ loginUrl: { url: 'x' } }, /loginUrl must be a string/],
  ])('refuses %o', (context, message) => {
    expect(() => from(context)).toThrow(message);
  });
});
