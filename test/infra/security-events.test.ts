import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { arnOf, idsOf, only, permissionsOf, synth, type CfnResource, type Synthesized } from './synth.ts';

const isEvents = (fn: CfnResource) => String(fn.Properties['Description']) === 'Lifespan test security events and rotation history (table stream)';
const roleOf = (fn: CfnResource) => (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const environmentOf = (fn: CfnResource) => (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;

describe('security events in the stack', () => {
  let synthesized: Synthesized;
  let resources: Synthesized['resources'];
  beforeAll(() => {
    synthesized = synth({}, { bundle: true });
    resources = synthesized.resources;
  });

  it('creates the custom bus lifespan-<stage>, and exports its name and ARN', () => {
    const [busId, bus] = only(resources, 'AWS::Events::EventBus');
    expect(bus.Properties).toMatchObject({ Name: 'lifespan-test' });
    const outputs = synthesized.template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(outputs['EventBusArn']?.Value).toEqual(arnOf(busId));
    expect(outputs['EventBusName']?.Value).toEqual({ Ref: busId });
  });

  it('turns on the table stream with old and new images', () => {
    const [, table] = only(resources, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties['StreamSpecification']).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('feeds the events function only the changes that show an event or a rotation, in batches, with partial batch failures, and reports a batch given up on to the queue', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [eventsId] = only(resources, 'AWS::Lambda::Function', isEvents);
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    const [, mapping] = only(resources, 'AWS::Lambda::EventSourceMapping');
    const pattern = (value: unknown) => ({ Pattern: JSON.stringify(value) });
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      FunctionName: { Ref: eventsId },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: { OnFailure: { Destination: arnOf(queueId) } },
      FilterCriteria: {
        Filters: [
          pattern({ eventName: ['MODIFY'], dynamodb: { Keys: { sk: { S: ['FAMILY'] } } } }),
          pattern({
            eventName: ['MODIFY'],
            dynamodb: { Keys: { sk: { S: ['LOGIN', 'DEVICE'] } }, OldImage: { status: { S: ['pending'] } }, NewImage: { status: { S: ['accepted', 'rejected'] } } },
          }),
          pattern({ eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['MARKER'] } } } }),
          pattern({ eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { sk: { S: ['CLIENT'] } } } }),
          pattern({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['EVENT'] } } } }),
        ],
      },
    });
  });

  it('keeps failed batches 14 days in a queue that is encrypted and refuses requests without TLS', () => {
    const [queueId, queue] = only(resources, 'AWS::SQS::Queue');
    expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
    const [, policy] = only(resources, 'AWS::SQS::QueuePolicy');
    expect(policy.Properties['Queues']).toEqual([{ Ref: queueId }]);
    expect((policy.Properties['PolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Resource: arnOf(queueId), Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('may read and put items, read the stream, send to its queue and PutEvents on its bus — nothing else', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    const [busId] = only(resources, 'AWS::Events::EventBus');
    const [, fn] = only(resources, 'AWS::Lambda::Function', isEvents);
    const logs = arnOf((fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref);
    const stream = JSON.stringify({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    expect(permissionsOf(resources, roleOf(fn))).toEqual(
      new Set([
        `logs:CreateLogStream ${JSON.stringify(logs)}`,
        `logs:PutLogEvents ${JSON.stringify(logs)}`,
        `dynamodb:BatchGetItem ${JSON.stringify(arnOf(tableId))}`,
        `dynamodb:PutItem ${JSON.stringify(arnOf(tableId))}`,
        `events:PutEvents ${JSON.stringify(arnOf(busId))}`,
        `dynamodb:ListStreams ${stream}`,
        `dynamodb:DescribeStream ${stream}`,
        `dynamodb:GetRecords ${stream}`,
        `dynamodb:GetShardIterator ${stream}`,
        // What CDK's SqsDlq grants (grantSendMessages), on this queue only.
        `sqs:SendMessage ${JSON.stringify(arnOf(queueId))}`,
        `sqs:GetQueueAttributes ${JSON.stringify(arnOf(queueId))}`,
        `sqs:GetQueueUrl ${JSON.stringify(arnOf(queueId))}`,
      ]),
    );
  });

  it('lets no other function publish to EventBridge', () => {
    for (const id of idsOf(resources, 'AWS::Lambda::Function')) {
      const fn = resources[id] as CfnResource;
      const publishing = [...permissionsOf(resources, roleOf(fn))].filter((pair) => pair.startsWith('events:'));
      expect(publishing, String(fn.Properties['Description'])).toEqual(isEvents(fn) ? [expect.stringMatching(/^events:PutEvents /)] : []);
    }
  });

  it('runs the events entry on Node.js 24 arm64, with the stage, issuer, table, bus and rotation-history switch', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [busId] = only(resources, 'AWS::Events::EventBus');
    const [, fn] = only(resources, 'AWS::Lambda::Function', isEvents);
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 256, Timeout: 29 });
    expect(environmentOf(fn)).toEqual({
      LIFESPAN_STAGE: 'test',
      LIFESPAN_ISSUER: expect.anything(),
      LIFESPAN_TABLE: { Ref: tableId },
      LIFESPAN_EVENT_BUS: arnOf(busId),
      LIFESPAN_ROTATION_HISTORY: 'true',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const directory = synthesized.app.synth().directory;
    const assetPath = String(fn.Metadata?.['aws:asset:path']);
    expect(readdirSync(join(directory, assetPath)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const map = JSON.parse(readFileSync(join(directory, assetPath, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.includes('functions/handlers/events.ts'))).toBe(true);
    expect(map.sources.some((source) => source.includes('client-eventbridge'))).toBe(true);
    // Local mode's stream poller and events file never reach the Lambda bundle.
    expect(map.sources.some((source) => source.includes('client-dynamodb-streams') || source.includes('functions/local/') || source.includes('file-event-publisher'))).toBe(false);
  });

  it('keeps EventBridge out of every other bundle (they record events in the table)', () => {
    const directory = synthesized.app.synth().directory;
    for (const id of idsOf(resources, 'AWS::Lambda::Function')) {
      const fn = resources[id] as CfnResource;
      if (isEvents(fn)) continue;
      const map = JSON.parse(readFileSync(join(directory, String(fn.Metadata?.['aws:asset:path']), 'index.mjs.map'), 'utf8')) as { sources: string[] };
      expect(map.sources.some((source) => source.includes('client-eventbridge')), String(fn.Properties['Description'])).toBe(false);
    }
  });

  it('publishes to an existing bus by prop or by ARN instead, creating none', () => {
    const arn = 'arn:aws:events:eu-west-1:111122223333:event-bus/security';
    const byArn = synth({ eventBusArn: arn }).resources;
    expect(idsOf(byArn, 'AWS::Events::EventBus')).toEqual([]);
    const [, fn] = only(byArn, 'AWS::Lambda::Function', isEvents);
    expect(environmentOf(fn)['LIFESPAN_EVENT_BUS']).toBe(arn);
    expect([...permissionsOf(byArn, roleOf(fn))].filter((pair) => pair.startsWith('events:'))).toEqual([`events:PutEvents ${JSON.stringify(arn)}`]);
    const shared = new EventBus(new Stack(undefined, 'Shared'), 'Bus', { eventBusName: 'org-security' });
    expect(() => synth({ eventBus: shared, eventBusArn: arn })).toThrow(/give one/);
    expect(() => synth({ eventBusArn: 'arn:aws:sns:eu-west-1:111122223333:topic' })).toThrow(/eventBusArn must be an EventBridge bus ARN/);
  });

  it('with securityEventTokens, lets the events function sign with the active key, and tells it to', () => {
    const on = synth({ securityEventTokens: true }).resources;
    const [signingKeyId] = only(on, 'AWS::KMS::Key', (key) => key.Properties['KeyUsage'] === 'SIGN_VERIFY');
    const [, fn] = only(on, 'AWS::Lambda::Function', isEvents);
    const kms = [...permissionsOf(on, roleOf(fn))].filter((pair) => pair.startsWith('kms:')).sort();
    expect(kms).toEqual([`kms:GetPublicKey ${JSON.stringify(arnOf(signingKeyId))}`, `kms:Sign ${JSON.stringify(arnOf(signingKeyId))}`]);
    expect(environmentOf(fn)).toMatchObject({ LIFESPAN_SECURITY_EVENT_TOKENS: 'true', LIFESPAN_SIGNER: 'kms', LIFESPAN_KMS_KEY_ID: arnOf(signingKeyId) });
    const [, off] = only(resources, 'AWS::Lambda::Function', isEvents);
    expect([...permissionsOf(resources, roleOf(off))].filter((pair) => pair.startsWith('kms:'))).toEqual([]);
  });

  it('with rotationHistory: false, publishes events still but writes no history, and neither alarms nor graphs it', () => {
    const without = synth({ rotationHistory: false }).resources;
    const [, fn] = only(without, 'AWS::Lambda::Function', isEvents);
    expect(environmentOf(fn)['LIFESPAN_ROTATION_HISTORY']).toBe('false');
    expect(idsOf(without, 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(idsOf(without, 'AWS::CloudWatch::Alarm').filter((id) => String(without[id]?.Properties['AlarmName']).includes('rotation-history'))).toEqual([]);
    const [, dashboard] = only(without, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties['DashboardBody'])).not.toContain('Rotation history');
    const [, withHistory] = only(resources, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(withHistory.Properties['DashboardBody'])).toContain('Rotation history');
  });
});
