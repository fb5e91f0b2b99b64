import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synth } from './synth.ts';

/** Every acknowledgement recorded under a scope: rule id → reason. */
function acknowledgements(scope: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, value] of Object.entries(entry.data as Record<string, unknown>)) {
        const reason = typeof value === 'string' ? value : JSON.stringify(value);
        const rule = id.replace(/^annotation::/i, '');
        found.set(rule, [...(found.get(rule) ?? []), reason]);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  const variants = {
    'the default stack': {},
    'a stack with a custom domain, a second key and an alarm address': {
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      nextKeySpec: 'ECC_NIST_P256',
      activeKeySlot: 'next',
      alarmEmail: 'oncall@example.com',
    },
    'a stack in a concrete account and region': { env: { account: '111122223333', region: 'eu-west-1' } },
    'a stack with X-Ray tracing on': { tracing: true },
    'a stack with Security Event Tokens, publishing to an existing bus, without rotation history': {
      securityEventTokens: true,
      eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/security',
      rotationHistory: false,
    },
  } as const;

  it.each(Object.entries(variants))('finds nothing unacknowledged in %s', (_, props) => {
    const { app, stack } = synth(props);
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('really checks: the same pack reports an unsafe resource', async () => {
    const { app, stack } = synth();
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    new Bucket(new Stack(app, 'Other'), 'Unsafe');
    expect(new AwsSolutionsChecks(app).validateScope(stack).success).toBe(true);
    expect(new AwsSolutionsChecks(app).validateScope(app).success).toBe(false);
  });

  it('acknowledges only the findings that are by design, each with a reason specific to this stack', () => {
    const { stack } = synth();
    const found = acknowledgements(stack);
    expect([...found.keys()].sort()).toEqual(
      [
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/lifespan/test/*]',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const [id, reasons] of found) {
      for (const reason of reasons) {
        expect(reason.length, id).toBeGreaterThan(60);
      }
    }
    expect(found.get('AwsSolutions-SQS3')?.[0]).toMatch(/dead-letter destination of the table stream/);
    expect(found.get('AwsSolutions-APIG4')?.some((reason) => reason.includes('POST /token'))).toBe(true);
  });

  it('with tracing on, acknowledges only the X-Ray "*" resource beyond that, once per function', () => {
    const { stack, resources } = synth({ tracing: true });
    const found = acknowledgements(stack);
    expect([...found.keys()].filter((id) => !acknowledgements(synth().stack).has(id))).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    expect(found.get('AwsSolutions-IAM5[Resource::*]')).toHaveLength(Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function').length);
    for (const reason of found.get('AwsSolutions-IAM5[Resource::*]') ?? []) expect(reason).toMatch(/xray:PutTraceSegments/);
  });
});
