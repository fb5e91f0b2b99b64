import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AnomalyDetectionAlarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRIC_NAMESPACE, type MetricName } from '../../functions/observability/metrics.ts';
import type { HandlerGroup } from '../../functions/routes.ts';
import { assertEmail, assertPositive } from '../validation.ts';

const PERIOD = Duration.minutes(5);

export interface LifespanAlarmsProps {
  readonly stage: string;
  readonly api: IHttpApi;
  readonly functions: Readonly<Partial<Record<HandlerGroup, IFunction>>>;
  readonly table: ITableV2;
  /** The events function (the table's stream: security events and the rotation history). */
  readonly events: IFunction;
  /** The on-failure destination of its event source. */
  readonly eventsFailedBatches: IQueue;
  /** Whether it keeps the rotation history (then its failed writes are alarmed). @default true */
  readonly rotationHistory?: boolean;
  /**
   * Detected refresh-token reuses in 5 minutes above which `refresh-reuse-detected` fires: each
   * reuse is a security event on the bus already (whose, which family), so the page is for a
   * burst; the anomaly alarm on the reuse rate watches the trend.
   * @default 5
   */
  readonly reuseAlarmThreshold?: number;
  /** Standard deviations of the anomaly-detection bands (reuse, invalid_grant, failed client authentication). @default 3 */
  readonly anomalyStandardDeviations?: number;
  /** Subscribed to the alarm topic (SNS mails a confirmation link first). @default no subscription */
  readonly alarmEmail?: string;
  /** Percentage of 5xx answers over 5 minutes above which the API alarm fires. @default 1 */
  readonly serverErrorRatePercent?: number;
  /**
   * Requests needed in the 5 minutes before the 5xx rate counts, so one failed request out of
   * three at night does not page anyone (crashes still raise the Lambda Errors alarms).
   * @default 10
   */
  readonly serverErrorMinimumRequests?: number;
}

/**
 * The alarms of DESIGN.md §1, all sending to one SNS topic (in ALARM and back to OK):
 * refresh token reuse (a burst above a threshold, and the rate's anomalies), anomalies of the
 * `invalid_grant` and failed client authentication rates, rejected or unreadable configuration,
 * the API's 5xx rate, Lambda errors and throttles per function, DynamoDB throttling, and the
 * events function's errors, lag, failed publishes and history writes, and given-up batches.
 */
export class LifespanAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: LifespanAlarmsProps) {
    super(scope, id);
    const ratePercent = props.serverErrorRatePercent ?? 1;
    const minimumRequests = props.serverErrorMinimumRequests ?? 10;
    assertPositive('serverErrorRatePercent', ratePercent, { max: 100 });
    assertPositive('serverErrorMinimumRequests', minimumRequests, { integer: true });
    const reuseThreshold = props.reuseAlarmThreshold ?? 5;
    if (!Number.isInteger(reuseThreshold) || reuseThreshold < 0) throw new TypeError(`reuseAlarmThreshold must be a whole number ≥ 0, not ${reuseThreshold}`);
    const deviations = props.anomalyStandardDeviations ?? 3;
    assertPositive('anomalyStandardDeviations', deviations, { max: 10 });
    if (props.alarmEmail !== undefined) assertEmail('alarmEmail', props.alarmEmail);

    // No KMS encryption: the topic carries alarm state changes only (no tokens or user data),
    // and CloudWatch cannot publish to a topic under the AWS managed SNS key.
    this.topic = new Topic(this, 'Topic', { displayName: `Lifespan ${props.stage} alarms`, enforceSSL: true });
    // A topic policy replaces SNS's default one, so the TLS Deny alone would leave CloudWatch no
    // Allow to publish: let this stack's alarms (their names share the prefix) publish, and no one else.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `lifespan-${props.stage}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const alarms: Alarm[] = [];
    const action = new SnsAction(this.topic);
    const alarm = (id: string, metric: IMetric, description: string, threshold = 0) => {
      const created = new Alarm(this, id, {
        alarmName: `lifespan-${props.stage}-${id}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      alarms.push(created);
    };

    const lifespan = (name: MetricName) =>
      new Metric({ namespace: METRIC_NAMESPACE, metricName: name, dimensionsMap: { Stage: props.stage }, statistic: 'Sum', period: PERIOD });
    alarm(
      'refresh-reuse-detected',
      lifespan(METRICS.refreshReuseDetected),
      `More than ${reuseThreshold} superseded refresh tokens were used in 5 minutes (each family was revoked, and each reuse is a Refresh Token Reuse Detected event on the bus): an attack or a client bug after a release.`,
      reuseThreshold,
    );
    // Anomaly detection learns each rate's usual band (by hour and weekday) and fires above it:
    // a rise that a fixed threshold would either page on every day or miss.
    const anomaly = (id: string, metric: IMetric, description: string) => {
      const created = new AnomalyDetectionAlarm(this, id, {
        alarmName: `lifespan-${props.stage}-${id}`,
        alarmDescription: description,
        metric,
        stdDevs: deviations,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      alarms.push(created);
    };
    anomaly('refresh-reuse-anomaly', lifespan(METRICS.refreshReuseDetected), 'The rate of detected refresh-token reuse is above its usual band: more stolen tokens replayed, or a client sending old ones.');
    anomaly('invalid-grant-anomaly', lifespan(METRICS.invalidGrant), 'The rate of invalid_grant answers is above its usual band: guessed or replayed codes and refresh tokens, or a client bug.');
    anomaly('invalid-client-anomaly', lifespan(METRICS.invalidClient), 'The rate of failed client authentications is above its usual band: client secrets being guessed, or a rotated secret not rolled out.');
    alarm(
      'configuration-rejected',
      lifespan(METRICS.configurationRejected),
      'A lifetime parameter in SSM was rejected by the guardrails; the service holds its last valid value. Run `npx lifespan lifetimes lint`.',
    );
    alarm(
      'configuration-load-failed',
      lifespan(METRICS.configurationLoadFailed),
      'The functions could not read /lifespan/<stage>/ from SSM (throttling or permissions): warm ones serve their last configuration, cold ones answer 503 temporarily_unavailable.',
    );

    const requests = props.api.metricCount({ statistic: 'Sum', period: PERIOD });
    const serverErrors = props.api.metricServerError({ statistic: 'Sum', period: PERIOD });
    alarm(
      'api-5xx-rate',
      new MathExpression({
        expression: `IF(requests >= ${minimumRequests}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        period: PERIOD,
        label: '5xx rate (%)',
      }),
      `More than ${ratePercent}% of API requests answered 5xx over 5 minutes (counted from ${minimumRequests} requests).`,
      ratePercent,
    );

    for (const [group, fn] of Object.entries(props.functions)) {
      alarm(`${group}-errors`, fn.metricErrors({ statistic: 'Sum', period: PERIOD }), `The ${group} function failed (crash, timeout or bad configuration at start).`);
      alarm(`${group}-throttles`, fn.metricThrottles({ statistic: 'Sum', period: PERIOD }), `The ${group} function was throttled (account or function concurrency limit).`);
    }

    const events = props.events;
    alarm('events-errors', events.metricErrors({ statistic: 'Sum', period: PERIOD }), 'The events function failed: security events and family timelines wait until it recovers (the stream keeps records for 24 hours).');
    alarm(
      'events-lag',
      events.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD }),
      'The events function is more than 10 minutes behind the table stream (failures being retried, or throttling); records older than 24 hours are lost.',
      600_000,
    );
    alarm(
      'security-event-failures',
      lifespan(METRICS.securityEventFailures),
      'Security events could not be published (events function: retried from the stream) or recorded (a request: logged as security_event_failed, the event lost). See the security_event_failed log lines.',
    );
    if (props.rotationHistory ?? true) {
      alarm(
        'rotation-history-failures',
        lifespan(METRICS.rotationHistoryFailures),
        'The events function could not write some rotations (see its rotation_history_failed log lines); they are retried from the stream, and the timelines miss them until then.',
      );
    }
    alarm(
      'events-failed-batches',
      props.eventsFailedBatches.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
      'The table stream gave up on a batch of the events function after a day of retries: its security events will never be published and its rotations never recorded. The queue message names the shard and sequence numbers; purge it once looked at (this alarm stays on while it is there).',
    );

    alarm(
      'table-throttles',
      new MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: props.table.metric('ReadThrottleEvents', { statistic: 'Sum', period: PERIOD }),
          writes: props.table.metric('WriteThrottleEvents', { statistic: 'Sum', period: PERIOD }),
        },
        period: PERIOD,
        label: 'Throttle events',
      }),
      'DynamoDB throttled reads or writes on the Lifespan table (hot partition or on-demand maximum reached).',
    );
    this.alarms = alarms;
  }
}
