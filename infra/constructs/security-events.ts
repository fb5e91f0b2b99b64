import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { accessEnvironment, accessStatements, deployedAccess, EVENTS_FUNCTION, type AccessResources } from '../group-access.ts';
import { HandlerFunction } from './handler-function.ts';

export interface SecurityEventsProps {
  readonly stage: string;
  /** The issuer (`iss` of the Security Event Tokens). */
  readonly issuer: string;
  /** The Lifespan table, with its stream on. */
  readonly table: ITableV2;
  /** The bus to publish to. @default a new bus `lifespan-<stage>` */
  readonly eventBus?: IEventBus;
  /** Keep every rotation for the family timeline (the stack's rotationHistory prop). @default true */
  readonly rotationHistory?: boolean;
  /**
   * A signed Security Event Token (RFC 8417) in each event's detail: the function may then sign
   * with the active key (and only then). @default none
   */
  readonly securityEventTokens?: { readonly activeKeyArn: string; readonly publishedKeyArns: readonly string[] };
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** X-Ray active tracing of the function. @default false */
  readonly tracing?: boolean;
}

/** The event source's filters: only the changes that show a security event or a rotation invoke (and bill) the function. */
export const EVENT_SOURCE_FILTERS = [
  // Rotations, reuse detected, revocations.
  { eventName: FilterRule.isEqual('MODIFY'), dynamodb: { Keys: { sk: { S: FilterRule.isEqual('FAMILY') } } } },
  // A login or device request the login app answered.
  {
    eventName: FilterRule.isEqual('MODIFY'),
    dynamodb: {
      Keys: { sk: { S: FilterRule.or('LOGIN', 'DEVICE') } },
      OldImage: { status: { S: FilterRule.isEqual('pending') } },
      NewImage: { status: { S: FilterRule.or('accepted', 'rejected') } },
    },
  },
  // Revoke-all markers written or moved forward (not their TTL deletion).
  { eventName: FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { sk: { S: FilterRule.isEqual('MARKER') } } } },
  // Clients registered and deleted.
  { eventName: FilterRule.or('INSERT', 'REMOVE'), dynamodb: { Keys: { sk: { S: FilterRule.isEqual('CLIENT') } } } },
  // Events recorded by the functions that serve requests.
  { eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { sk: { S: FilterRule.isEqual('EVENT') } } } },
];

/**
 * Lifespan's security events, off the request path: the table's stream, filtered to the changes
 * that matter, feeds the events function (functions/handlers/events.ts), which publishes each
 * event to the bus at least once (`source: "lifespan"`) and writes one `ROT#<generation>` item
 * per rotation for the family timeline. A refresh stays one conditional write. A batch given up
 * on (a day of retries) is described in `failedBatches`, which is alarmed.
 */
export class SecurityEvents extends Construct {
  readonly handler: HandlerFunction;
  /** The bus the events go to: `lifespan-<stage>`, or the one given. */
  readonly bus: IEventBus;
  /**
   * The event source's on-failure destination: one message per batch given up on, naming its
   * shard and the sequence numbers of its first and last record (not the records themselves).
   */
  readonly failedBatches: Queue;

  constructor(scope: Construct, id: string, props: SecurityEventsProps) {
    super(scope, id);
    this.bus = props.eventBus ?? new EventBus(this, 'Bus', { eventBusName: `lifespan-${props.stage}`, description: `Lifespan ${props.stage} security events` });
    const access = deployedAccess(EVENTS_FUNCTION);
    const sets = props.securityEventTokens;
    this.handler = new HandlerFunction(this, 'Function', {
      group: EVENTS_FUNCTION,
      stage: props.stage,
      description: `Lifespan ${props.stage} security events and rotation history (table stream)`,
      environment: accessEnvironment(EVENTS_FUNCTION, access, {
        stage: props.stage,
        issuer: props.issuer,
        tableName: props.table.tableName,
        activeKeyArn: sets?.activeKeyArn ?? '',
        otherKeyArns: sets?.publishedKeyArns.filter((arn) => arn !== sets.activeKeyArn) ?? [],
        loginUrl: undefined,
        successorKeyArn: undefined,
        eventBusArn: this.bus.eventBusArn,
        securityEventTokens: sets !== undefined,
        rotationHistory: props.rotationHistory ?? true,
      }),
      memorySize: 256,
      timeout: Duration.seconds(29),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.tracing !== undefined && { tracing: props.tracing }),
    });
    const resources: AccessResources = {
      tableArn: props.table.tableArn,
      subjectIndexArn: '',
      activeKeyArn: sets?.activeKeyArn ?? '',
      publishedKeyArns: sets?.publishedKeyArns ?? [],
      parameterArns: [],
      successorKeyArn: undefined,
      eventBusArn: this.bus.eventBusArn,
      securityEventTokens: sets !== undefined,
    };
    const fn = this.handler.fn;
    for (const statement of accessStatements(access, resources)) fn.addToRolePolicy(statement);
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
        'This queue is itself the dead-letter destination of the table stream event source mapping (DestinationConfig.OnFailure of the events function), which cdk-nag recognises only as a redrive policy or a function DeadLetterConfig. A queue behind it would hold the same messages one hop further; instead an alarm fires as soon as one is visible.',
    });
    fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        // Failures are retried from the failed record (the handler reports it); a batch that
        // keeps failing is split to isolate the record, and given up after a day, which is as
        // long as the stream keeps records anyway.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 100,
        maxRecordAge: Duration.days(1),
        // A batch given up on leaves a message here (SqsDlq grants the function role the send).
        onFailure: new SqsDlq(this.failedBatches),
        filters: EVENT_SOURCE_FILTERS.map((filter) => FilterCriteria.filter(filter)),
      }),
    );
  }
}
