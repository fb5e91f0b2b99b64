import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS, METRIC_NAMESPACE } from '../../functions/observability/metrics.ts';
import { functionsByGroup, idsOf, only, synth, type CfnResource, type Synthesized } from './synth.ts';

type MetricDataQuery = {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }; Stat: string; Period: number };
  ReturnData?: boolean;
};

describe('alarms and dashboard', () => {
  let synthesized: Synthesized;
  let resources: Synthesized['resources'];
  let alarms: CfnResource[];
  let topicId: string;
  beforeAll(() => {
    synthesized = synth({ alarmEmail: 'oncall@example.com', serverErrorRatePercent: 2 });
    resources = synthesized.resources;
    alarms = idsOf(resources, 'AWS::CloudWatch::Alarm').map((id) => resources[id] as CfnResource);
    [topicId] = only(resources, 'AWS::SNS::Topic');
  });

  const alarmNamed = (suffix: string) => {
    const found = alarms.filter((alarm) => String(alarm.Properties['AlarmName']).endsWith(suffix));
    expect(found, suffix).toHaveLength(1);
    return found[0] as CfnResource;
  };

  it('sends every alarm, and its recovery, to the SNS topic', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties['OKActions']).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties['TreatMissingData']).toBe('notBreaching');
    }
  });

  it('subscribes the on-call address and accepts only TLS publishers', () => {
    synthesized.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } });
    const [, policy] = only(resources, 'AWS::SNS::TopicPolicy');
    expect(policy.Properties['Topics']).toEqual([{ Ref: topicId }]);
    const statements = (policy.Properties['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: { Ref: topicId }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it("lets this stack's alarms publish to the topic (its policy replaces SNS's default one), and no one else", () => {
    const [, policy] = only(resources, 'AWS::SNS::TopicPolicy');
    const statements = (policy.Properties['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;
    const allows = statements.filter((statement) => statement['Effect'] === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:lifespan-test-*']],
            },
          },
        },
      }),
    ]);
    for (const alarm of alarms) expect(String(alarm.Properties['AlarmName'])).toMatch(/^lifespan-test-/);
  });

  it.each([
    ['configuration-rejected', METRICS.configurationRejected],
    ['configuration-load-failed', METRICS.configurationLoadFailed],
  ])('alarms on %s above 0, from the Stage-only series of the service metric', (suffix, metricName) => {
    const alarm = alarmNamed(suffix);
    expect(alarm.Properties).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: metricName,
      Dimensions: [{ Name: 'Stage', Value: 'test' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('pages on a burst of refresh-token reuse, not on every single one: above 5 in 5 minutes by default, or the reuseAlarmThreshold prop', () => {
    const expected = { Namespace: METRIC_NAMESPACE, MetricName: METRICS.refreshReuseDetected, Dimensions: [{ Name: 'Stage', Value: 'test' }], Statistic: 'Sum', Period: 300, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 };
    expect(alarmNamed('refresh-reuse-detected').Properties).toMatchObject({ ...expected, Threshold: 5 });
    const tuned = synth({ reuseAlarmThreshold: 0 }).resources;
    const [, strict] = only(tuned, 'AWS::CloudWatch::Alarm', (alarm) => String(alarm.Properties['AlarmName']).endsWith('refresh-reuse-detected'));
    expect(strict.Properties).toMatchObject({ ...expected, Threshold: 0 });
    expect(() => synth({ reuseAlarmThreshold: 1.5 })).toThrow(/reuseAlarmThreshold must be a whole number/);
  });

  it.each([
    ['refresh-reuse-anomaly', METRICS.refreshReuseDetected],
    ['invalid-grant-anomaly', METRICS.invalidGrant],
    ['invalid-client-anomaly', METRICS.invalidClient],
  ])('alarms on %s: the 5-minute rate above its anomaly-detection band (3 standard deviations)', (suffix, metricName) => {
    const alarm = alarmNamed(suffix);
    expect(alarm.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanUpperThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const queries = alarm.Properties['Metrics'] as MetricDataQuery[];
    const band = queries.find((query) => query.Expression !== undefined);
    const metric = queries.find((query) => query.MetricStat !== undefined);
    expect(band?.Expression).toBe(`ANOMALY_DETECTION_BAND(${metric?.Id}, 3)`);
    expect(alarm.Properties['ThresholdMetricId']).toBe(band?.Id);
    expect(metric?.MetricStat).toEqual({ Metric: { Namespace: METRIC_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'Stage', Value: 'test' }] }, Stat: 'Sum', Period: 300 });
    expect(metric?.ReturnData).toBe(true);
  });

  it('alarms on the API 5xx rate over 5 minutes with metric math, above the configured percentage', () => {
    const alarm = alarmNamed('api-5xx-rate');
    expect(alarm.Properties).toMatchObject({ Threshold: 2, ComparisonOperator: 'GreaterThanThreshold' });
    const queries = alarm.Properties['Metrics'] as MetricDataQuery[];
    const expression = queries.find((query) => query.Expression !== undefined);
    expect(expression?.Expression).toMatch(/^IF\(requests >= 10, 100 \* errors \/ requests, 0\)$/);
    const [apiId] = only(resources, 'AWS::ApiGatewayV2::Api');
    const stat = (id: string) => queries.find((query) => query.Id === id)?.MetricStat;
    expect(stat('errors')).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }, Stat: 'Sum', Period: 300 });
    expect(stat('requests')).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }, Stat: 'Sum', Period: 300 });
  });

  it('alarms on Errors and Throttles of every function', () => {
    for (const [group, { id }] of functionsByGroup(resources)) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = alarmNamed(`${group}-${metric.toLowerCase()}`);
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
          Threshold: 0,
        });
      }
    }
  });

  it('alarms on DynamoDB throttling of the table, reads and writes', () => {
    const alarm = alarmNamed('table-throttles');
    const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
    const queries = alarm.Properties['Metrics'] as MetricDataQuery[];
    expect(queries.find((query) => query.Expression !== undefined)?.Expression).toBe('reads + writes');
    const names = queries.flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : []));
    expect(names).toEqual([
      { Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [{ Name: 'TableName', Value: { Ref: tableId } }] },
      { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: [{ Name: 'TableName', Value: { Ref: tableId } }] },
    ]);
  });

  it('alarms when the events function fails or falls more than 10 minutes behind the table stream', () => {
    const [historyId] = only(resources, 'AWS::Lambda::Function', (fn) => String(fn.Properties['Description']).includes('security events'));
    expect(alarmNamed('events-errors').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: historyId } }],
      Threshold: 0,
    });
    expect(alarmNamed('events-lag').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: historyId } }],
      Threshold: 600_000,
    });
  });

  it('alarms when security events fail, when rotations fail to be written, and when the stream gives up on a batch', () => {
    for (const [suffix, metricName] of [
      ['security-event-failures', METRICS.securityEventFailures],
      ['rotation-history-failures', METRICS.rotationHistoryFailures],
    ] as const) {
      expect(alarmNamed(suffix).Properties).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'Stage', Value: 'test' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    expect(alarmNamed('events-failed-batches').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('has no other alarm', () => {
    // Reuse (burst), 3 anomaly bands, configuration ×2, 5xx; errors and throttles per API function;
    // DynamoDB throttles; the events function's errors, lag, failed events, failed rotation writes, failed batches.
    expect(alarms).toHaveLength(1 + 3 + 2 + 1 + 2 * functionsByGroup(resources).size + 1 + 5);
  });

  it('draws the dashboard: token activity from the service metrics, then API, Lambda and DynamoDB health', () => {
    const [, dashboard] = only(resources, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties['DashboardName']).toBe('Lifespan-test');
    // The body is JSON joined with references (region, function names…): read it with placeholders.
    const parts = (dashboard.Properties['DashboardBody'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')) as {
      widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }>;
    };
    const titles = body.widgets.map((widget) => widget.properties.title ?? '');
    const metricsOf = (title: string) => JSON.stringify(body.widgets.find((widget) => widget.properties.title?.startsWith(title))?.properties.metrics ?? []);
    for (const title of [
      'Tokens issued (total and by grant)',
      'Refresh tokens rotated / reuse detected',
      'Families revoked (total and by reason)',
      'invalid_grant / invalid_client',
      'Rate limited (429)',
      'Configuration rejected / load failed',
      'API latency p50 / p99 (ms)',
      'Lambda duration p50 / p99 (ms)',
      'Lambda errors',
      'Lambda throttles',
      'DynamoDB consumed capacity',
      'DynamoDB throttle events',
      'Security events: published / failed',
      'Events function: stream lag (ms)',
      'Events function: invocations / errors / failed batches',
      'Rotation history: failed writes',
    ]) {
      expect(titles, title).toContain(title);
    }
    expect(metricsOf('Security events')).toContain(METRICS.securityEventsPublished);
    expect(metricsOf('Security events')).toContain(METRICS.securityEventFailures);
    expect(metricsOf('Events function: stream lag')).toContain('IteratorAge');
    expect(metricsOf('Events function: invocations')).toContain('ApproximateNumberOfMessagesVisible');
    expect(metricsOf('Rotation history: failed writes')).toContain(METRICS.rotationHistoryFailures);
    const search = (name: string) => `SEARCH('Namespace=\\"${METRIC_NAMESPACE}\\" MetricName=\\"${name}\\" Stage=\\"test\\"', 'Sum', 300)`;
    expect(metricsOf('Tokens issued')).toContain(search(METRICS.tokensIssued));
    expect(metricsOf('Families revoked')).toContain(search(METRICS.familyRevoked));
    expect(metricsOf('Configuration rejected')).toContain(search(METRICS.configurationRejected));
    expect(metricsOf('Configuration rejected')).toContain(METRICS.configurationLoadFailed);
    expect(metricsOf('Refresh tokens')).toContain(METRICS.refreshRotated);
    expect(metricsOf('Refresh tokens')).toContain(METRICS.refreshReuseDetected);
    expect(metricsOf('invalid_grant')).toContain(METRICS.invalidGrant);
    expect(metricsOf('invalid_grant')).toContain(METRICS.invalidClient);
    expect(metricsOf('Rate limited')).toContain(METRICS.rateLimited);
    expect(metricsOf('API latency')).toMatch(/"Latency".*"stat":"p50".*"Latency".*"stat":"p99"/);
    for (const group of functionsByGroup(resources).keys()) expect(metricsOf('Lambda duration')).toContain(`${group} p99`);
    expect(metricsOf('DynamoDB consumed')).toMatch(/ConsumedReadCapacityUnits.*ConsumedWriteCapacityUnits/);
    expect(metricsOf('DynamoDB throttle')).toMatch(/ReadThrottleEvents.*WriteThrottleEvents/);
  });
});
