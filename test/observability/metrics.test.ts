import { describe, expect, it } from 'vitest';
import { emfMetrics, METRIC_NAMESPACE } from '../../functions/observability/metrics.ts';

describe('emfMetrics', () => {
  it('writes one EMF line with a Stage-only dimension set for alarms and a detailed one for dashboards', () => {
    const lines: string[] = [];
    emfMetrics('prod', (line) => lines.push(line)).count('TokensIssued', { Grant: 'refresh_token', ClientId: 'web' });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: [['Stage'], ['Stage', 'Grant', 'ClientId']],
        Metrics: [{ Name: 'TokensIssued', Unit: 'Count' }],
      },
    ]);
    expect(record).toMatchObject({ Stage: 'prod', Grant: 'refresh_token', ClientId: 'web', TokensIssued: 1 });
  });

  it('does not let a dimension named Stage override the stage', () => {
    const lines: string[] = [];
    emfMetrics('prod', (line) => lines.push(line)).count('InvalidClient', { Stage: 'forged' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ Stage: 'prod' });
  });
});
