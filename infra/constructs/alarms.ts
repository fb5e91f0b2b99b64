import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
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
  /** The function recording rotations from the table's stream, if deployed. @default none */
  readonly rotationHistory?: IFunction;
  /** The on-failure destination of the rotation history's stream, if deployed. @default none */
  readonly rotationHistoryFailedBatches?: IQueue;
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
 * refresh token reuse, rejected or unreadable configuration, the API's 5xx rate, Lambda
 * errors and throttles per function, DynamoDB throttling, and the rotation history's errors,
 * lag, failed writes and given-up batches.
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
      'A superseded refresh token was used: its family was revoked. Possible token theft; see the audit log for the family and client.',
    );
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

    if (props.rotationHistory) {
      const history = props.rotationHistory;
      alarm('rotation-history-errors', history.metricErrors({ statistic: 'Sum', period: PERIOD }), 'The rotation-history function failed: family timelines may miss rotations until it recovers (the stream keeps records for 24 hours).');
      alarm(
        'rotation-history-lag',
        history.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD }),
        'The rotation history is more than 10 minutes behind the table stream (write failures being retried, or throttling); records older than 24 hours are lost.',
        600_000,
      );
      alarm(
        'rotation-history-failures',
        lifespan(METRICS.rotationHistoryFailures),
        'The rotation-history function could not write some rotations (see its rotation_history_failed log lines); they are retried from the stream, and the timelines miss them until then.',
      );
    }
    if (props.rotationHistoryFailedBatches) {
      alarm(
        'rotation-history-failed-batches',
        props.rotationHistoryFailedBatches.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
        'The table stream gave up on a batch of the rotation history after a day of retries: its rotations will never be recorded. The queue message names the shard and sequence numbers; purge it once looked at (this alarm stays on while it is there).',
      );
    }

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
