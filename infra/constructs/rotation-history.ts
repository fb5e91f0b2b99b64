import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HandlerFunction } from './handler-function.ts';

export interface RotationHistoryProps {
  readonly stage: string;
  /** The Lifespan table, with its stream on. */
  readonly table: ITableV2;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** X-Ray active tracing of the function. @default false */
  readonly tracing?: boolean;
}

/**
 * Keeps every rotation of every refresh family for `GET /admin/families/{id}`, off the refresh
 * path: the table's stream, filtered to family items, feeds a function that writes one
 * `ROT#<generation>` item per rotation (functions/handlers/rotation-history.ts). A refresh stays
 * one conditional write; the history costs one more write per rotation, made later. A batch
 * given up on (a day of retries) is described in `failedBatches`, which is alarmed.
 */
export class RotationHistory extends Construct {
  readonly handler: HandlerFunction;
  /**
   * The event source's on-failure destination: one message per batch given up on, naming its
   * shard and the sequence numbers of its first and last record (not the records themselves).
   */
  readonly failedBatches: Queue;

  constructor(scope: Construct, id: string, props: RotationHistoryProps) {
    super(scope, id);
    this.handler = new HandlerFunction(this, 'Function', {
      group: 'rotation-history',
      stage: props.stage,
      description: `Lifespan ${props.stage} rotation history (table stream)`,
      environment: { LIFESPAN_STAGE: props.stage, LIFESPAN_TABLE: props.table.tableName },
      memorySize: 256,
      timeout: Duration.seconds(29),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.tracing !== undefined && { tracing: props.tracing }),
    });
    const fn = this.handler.fn;
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.table.tableArn] }));
    // SQS-managed encryption: the messages say where a failed batch was (shard, sequence
    // numbers), nothing secret, and Lambda needs no KMS grant to send them.
    this.failedBatches = new Queue(this, 'FailedBatches', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedBatches).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the table stream event source mapping (DestinationConfig.OnFailure of the rotation-history function), which cdk-nag recognises only as a redrive policy or a function DeadLetterConfig. A queue behind it would hold the same messages one hop further; instead an alarm fires as soon as one is visible.',
    });
    fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        // Failed writes are retried from the failed record (the handler reports it); a batch
        // that keeps failing is split to isolate the record, and given up after a day, which
        // is as long as the stream keeps records anyway.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 100,
        maxRecordAge: Duration.days(1),
        // A batch given up on leaves a message here (SqsDlq grants the function role the send).
        onFailure: new SqsDlq(this.failedBatches),
        // Only updates of family items reach the function (and are billed as invocations):
        // not codes, sessions, counters, TTL deletions, or the history items it writes itself.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('MODIFY'),
            dynamodb: { Keys: { sk: { S: FilterRule.isEqual('FAMILY') } } },
          }),
        ],
      }),
    );
  }
}
