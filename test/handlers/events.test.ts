import { execFileSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { METRICS, METRIC_NAMESPACE } from '../../functions/observability/metrics.ts';

const record = {
  eventName: 'MODIFY',
  dynamodb: {
    SequenceNumber: '42',
    Keys: { pk: { S: 'FAMILY#f' }, sk: { S: 'FAMILY' } },
    OldImage: { generation: { N: '1' }, rotated_at: { N: '1001' }, absolute_expires_at: { N: '5000' } },
    NewImage: { generation: { N: '2' }, rotated_at: { N: '1002' }, absolute_expires_at: { N: '5000' } },
  },
};

describe('the events Lambda entry (the table stream)', () => {
  it('publishes the count of failed records as EMF before it returns the partial batch response', () => {
    // A table that does not exist: the write fails at once, as a real failed write would.
    const script = `
      const { handler } = await import('./functions/handlers/events.ts');
      const response = await handler({ Records: [${JSON.stringify(record)}] });
      console.log('RETURNED ' + JSON.stringify(response));
      process.exit(0);
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env['PATH'],
        AWS_REGION: 'eu-west-1',
        LIFESPAN_STAGE: 'test',
        LIFESPAN_TABLE: 'no-such-table',
        LIFESPAN_EVENT_BUS: 'lifespan-test',
        LIFESPAN_DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
      },
      encoding: 'utf8',
    });
    const lines = output.trim().split('\n');
    const returned = lines.findIndex((line) => line.startsWith('RETURNED '));
    expect(lines[returned]).toBe(`RETURNED ${JSON.stringify({ batchItemFailures: [{ itemIdentifier: '42' }] })}`);
    const emf = lines
      .slice(0, returned)
      .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws?: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } })
      .filter((line) => line._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Stage: 'test', [METRICS.rotationHistoryFailures]: 1 });
    expect(emf[0]?._aws?.CloudWatchMetrics).toEqual([{ Namespace: METRIC_NAMESPACE, Dimensions: [['Stage']], Metrics: [{ Name: METRICS.rotationHistoryFailures, Unit: 'Count' }] }]);
  });
});
