import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, MathExpression, Metric, TextWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRIC_NAMESPACE, type MetricName } from '../../functions/observability/metrics.ts';
import type { HandlerGroup } from '../../functions/routes.ts';

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

export interface LifespanDashboardProps {
  readonly stage: string;
  readonly api: IHttpApi;
  readonly functions: Readonly<Partial<Record<HandlerGroup, IFunction>>>;
  /** The events function (the table's stream: security events and the rotation history). */
  readonly events: IFunction;
  /** The on-failure destination of its event source. */
  readonly eventsFailedBatches: IQueue;
  /** Whether it keeps the rotation history. @default true */
  readonly rotationHistory?: boolean;
  readonly table: ITableV2;
  /** @default `Lifespan-<stage>` */
  readonly dashboardName?: string;
}

/**
 * One CloudWatch dashboard: what the service does (tokens, rotations, reuse, revocations,
 * rejections), then how the API, the functions and the table hold up.
 */
export class LifespanDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: LifespanDashboardProps) {
    super(scope, id);
    const total = (name: MetricName, label: string) =>
      new Metric({ namespace: METRIC_NAMESPACE, metricName: name, dimensionsMap: { Stage: props.stage }, statistic: 'Sum', period: PERIOD, label });
    // Every dimension set of the metric in this stage (the Stage-only total and each breakdown,
    // by grant, reason, parameter…), whatever the breakdown dimensions are called.
    const breakdown = (name: MetricName) =>
      new MathExpression({
        expression: `SEARCH('Namespace="${METRIC_NAMESPACE}" MetricName="${name}" Stage="${props.stage}"', 'Sum', ${PERIOD.toSeconds()})`,
        usingMetrics: {},
        period: PERIOD,
        label: '',
      });
    const graph = (title: string, left: IMetric[], options: { readonly right?: IMetric[]; readonly stacked?: boolean } = {}) =>
      new GraphWidget({ title, left, right: options.right ?? [], width: WIDTH, height: HEIGHT, stacked: options.stacked ?? false, period: PERIOD });

    const functions = Object.entries(props.functions);
    const perFunction = (metric: (fn: IFunction, group: string) => IMetric) => functions.map(([group, fn]) => metric(fn, group));

    const rows: IWidget[][] = [
      [new TextWidget({ markdown: `# Lifespan ${props.stage}\nToken activity, then the API, the functions and the table. Alarms go to the SNS topic in the stack outputs.`, width: 24, height: 2 })],
      [
        graph('Tokens issued (total and by grant)', [breakdown(METRICS.tokensIssued)]),
        graph('Refresh tokens rotated / reuse detected', [total(METRICS.refreshRotated, 'Rotated')], { right: [total(METRICS.refreshReuseDetected, 'Reuse detected')] }),
        graph('Families revoked (total and by reason)', [breakdown(METRICS.familyRevoked)]),
      ],
      [
        graph('invalid_grant / invalid_client', [total(METRICS.invalidGrant, 'invalid_grant'), total(METRICS.invalidClient, 'invalid_client')]),
        graph('Rate limited (429)', [total(METRICS.rateLimited, 'Rate limited')]),
        graph('Configuration rejected / load failed', [breakdown(METRICS.configurationRejected)], {
          right: [total(METRICS.configurationLoadFailed, 'Load failed')],
        }),
      ],
      [
        graph('API requests / 4xx / 5xx', [
          props.api.metricCount({ statistic: 'Sum', period: PERIOD, label: 'Requests' }),
          props.api.metricClientError({ statistic: 'Sum', period: PERIOD, label: '4xx' }),
          props.api.metricServerError({ statistic: 'Sum', period: PERIOD, label: '5xx' }),
        ]),
        graph('API latency p50 / p99 (ms)', [
          props.api.metricLatency({ statistic: 'p50', period: PERIOD, label: 'p50' }),
          props.api.metricLatency({ statistic: 'p99', period: PERIOD, label: 'p99' }),
        ]),
        graph('Integration latency p99 (ms)', [props.api.metricIntegrationLatency({ statistic: 'p99', period: PERIOD, label: 'p99' })]),
      ],
      [
        graph('Lambda duration p50 / p99 (ms)', [
          ...perFunction((fn, group) => fn.metricDuration({ statistic: 'p50', period: PERIOD, label: `${group} p50` })),
          ...perFunction((fn, group) => fn.metricDuration({ statistic: 'p99', period: PERIOD, label: `${group} p99` })),
        ]),
        graph('Lambda errors', perFunction((fn, group) => fn.metricErrors({ statistic: 'Sum', period: PERIOD, label: group }))),
        graph('Lambda throttles', perFunction((fn, group) => fn.metricThrottles({ statistic: 'Sum', period: PERIOD, label: group }))),
      ],
      [
        graph('DynamoDB consumed capacity', [
          props.table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period: PERIOD, label: 'Read units' }),
          props.table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period: PERIOD, label: 'Write units' }),
        ]),
        graph('DynamoDB throttle events', [
          props.table.metric('ReadThrottleEvents', { statistic: 'Sum', period: PERIOD, label: 'Read' }),
          props.table.metric('WriteThrottleEvents', { statistic: 'Sum', period: PERIOD, label: 'Write' }),
        ]),
        graph('DynamoDB conditional check failures', [
          // Every lost refresh race and every reuse attempt is one failed condition.
          props.table.metric('ConditionalCheckFailedRequests', { statistic: 'Sum', period: PERIOD, label: 'Failed conditions' }),
        ]),
      ],
    ];
    const events = props.events;
    rows.push([
      graph('Security events: published / failed', [total(METRICS.securityEventsPublished, 'Published'), total(METRICS.securityEventFailures, 'Failed')]),
      graph('Events function: stream lag (ms)', [events.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD, label: 'Iterator age (max)' })]),
      graph('Events function: invocations / errors / failed batches', [
        events.metricInvocations({ statistic: 'Sum', period: PERIOD, label: 'Invocations' }),
        events.metricErrors({ statistic: 'Sum', period: PERIOD, label: 'Errors' }),
      ], {
        right: [props.eventsFailedBatches.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: 'Failed batches (queued)' })],
      }),
    ]);
    if (props.rotationHistory ?? true) {
      rows.push([graph('Rotation history: failed writes', [total(METRICS.rotationHistoryFailures, 'Failed writes')])]);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `Lifespan-${props.stage}`,
      widgets: rows,
    });
  }
}
