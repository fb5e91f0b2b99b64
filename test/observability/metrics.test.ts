import { describe, expect, it } from 'vitest';
import { emfMetrics, METRIC_NAMESPACE } from '../../functions/observability/metrics.ts';

type Line = Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };

describe('emfMetrics', () => {
  it('writes the points of a request as one EMF line: a Stage-only dimension set for alarms and a detailed one for dashboards', () => {
    const lines: string[] = [];
    const metrics = emfMetrics('prod', (line) => lines.push(line));
    metrics.count('RefreshRotated', { ClientId: 'web' });
    metrics.count('TokensIssued', { Grant: 'refresh_token', ClientId: 'web' });
    metrics.flush();
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Line;
    expect(record._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRIC_NAMESPACE, Dimensions: [['Stage'], ['Stage', 'ClientId']], Metrics: [{ Name: 'RefreshRotated', Unit: 'Count' }] },
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: [['Stage'], ['Stage', 'Grant', 'ClientId']],
        Metrics: [{ Name: 'TokensIssued', Unit: 'Count' }],
      },
    ]);
    expect(record).toMatchObject({ Stage: 'prod', Grant: 'refresh_token', ClientId: 'web', TokensIssued: 1, RefreshRotated: 1 });
  });

  it('adds up repeated points and splits points whose dimension values conflict', () => {
    const lines: string[] = [];
    const metrics = emfMetrics('prod', (line) => lines.push(line));
    metrics.count('InvalidGrant', { ClientId: 'a' });
    metrics.count('InvalidGrant', { ClientId: 'a' });
    metrics.count('InvalidGrant', { ClientId: 'b' });
    metrics.flush();
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { ClientId: 'a', InvalidGrant: 2 },
      { ClientId: 'b', InvalidGrant: 1 },
    ]);
  });

  it('flushes by itself after the current task when nobody flushes', async () => {
    const lines: string[] = [];
    emfMetrics('prod', (line) => lines.push(line)).count('ConfigurationRejected', { Parameter: 'x' });
    expect(lines).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
  });

  it('does not let a dimension named Stage override the stage', () => {
    const lines: string[] = [];
    const metrics = emfMetrics('prod', (line) => lines.push(line));
    metrics.count('InvalidClient', { Stage: 'forged' });
    metrics.flush();
    expect(JSON.parse(lines[0]!)).toMatchObject({ Stage: 'prod' });
  });
});
