import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { arnOf, idsOf, only, permissionsOf, synth, type CfnResource, type Synthesized } from './synth.ts';

const isHistory = (fn: CfnResource) => String(fn.Properties['Description']) === 'Lifespan test rotation history (table stream)';

describe('rotation history in the stack', () => {
  let synthesized: Synthesized;
  let resources: Synthesized['resources'];
  beforeAll(() => {
    synthesized = synth({}, { bundle: true });
    resources = synthesized.resources;
  });

  it('turns on the table stream with old and new images', () => {
    const [, table] = only(resources, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties['StreamSpecification']).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('feeds only updates of family items to the function, in batches, resuming at the failed record, and reports a batch given up on to the queue', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [historyId] = only(resources, 'AWS::Lambda::Function', isHistory);
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    const [, mapping] = only(resources, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      FunctionName: { Ref: historyId },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: { OnFailure: { Destination: arnOf(queueId) } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['MODIFY'], dynamodb: { Keys: { sk: { S: ['FAMILY'] } } } }) }] },
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

  it('may put items in the table, read its stream and send to its failed-batch queue, nothing else', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    const [, fn] = only(resources, 'AWS::Lambda::Function', isHistory);
    const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const logs = arnOf((fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref);
    const stream = JSON.stringify({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    expect(permissionsOf(resources, roleId)).toEqual(
      new Set([
        `logs:CreateLogStream ${JSON.stringify(logs)}`,
        `logs:PutLogEvents ${JSON.stringify(logs)}`,
        `dynamodb:PutItem ${JSON.stringify(arnOf(tableId))}`,
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

  it('runs the rotation-history entry on Node.js 24 arm64, with only the stage and the table name', () => {
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const [, fn] = only(resources, 'AWS::Lambda::Function', isHistory);
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 256, Timeout: 29 });
    expect((fn.Properties['Environment'] as { Variables: unknown }).Variables).toEqual({ LIFESPAN_STAGE: 'test', LIFESPAN_TABLE: { Ref: tableId }, NODE_OPTIONS: '--enable-source-maps' });
    const directory = synthesized.app.synth().directory;
    const assetPath = String(fn.Metadata?.['aws:asset:path']);
    expect(readdirSync(join(directory, assetPath)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const map = JSON.parse(readFileSync(join(directory, assetPath, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.includes('functions/handlers/rotation-history.ts'))).toBe(true);
    expect(map.sources.some((source) => source.includes('client-dynamodb-streams') || source.includes('functions/local/'))).toBe(false);
  });

  it('is left out with rotationHistory: false — no stream, no function, no mapping, no alarms or graphs for it', () => {
    const without = synth({ rotationHistory: false }).resources;
    const [, table] = only(without, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties['StreamSpecification']).toBeUndefined();
    expect(idsOf(without, 'AWS::Lambda::EventSourceMapping')).toEqual([]);
    expect(idsOf(without, 'AWS::SQS::Queue')).toEqual([]);
    expect(Object.values(without).filter((resource) => resource.Type === 'AWS::Lambda::Function' && isHistory(resource))).toEqual([]);
    expect(idsOf(without, 'AWS::CloudWatch::Alarm').filter((id) => String(without[id]?.Properties['AlarmName']).includes('rotation-history'))).toEqual([]);
    const [, dashboard] = only(without, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties['DashboardBody'])).not.toContain('Rotation history');
    const [, withHistory] = only(resources, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(withHistory.Properties['DashboardBody'])).toContain('Rotation history');
  });
});
