import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../../functions/adapters/dynamodb/table-definition.ts';

export interface LifespanTableProps {
  /**
   * Refuse `DeleteTable` (a stack deletion or a replacement) until an operator turns it off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What CloudFormation does with the table when it leaves the stack. Sessions, refresh
   * families and clients live here; losing them logs every user out.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** The change stream of the shared definition, for the events function (security events, rotation history). @default true */
  readonly stream?: boolean;
}

/**
 * The one DynamoDB table (families, sessions, codes, clients, markers), built from the same
 * definition as DynamoDB Local's table: on demand, TTL on, its stream, its indexes (the sparse
 * subject index), point-in-time recovery, encrypted.
 */
export class LifespanTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: LifespanTableProps = {}) {
    super(scope, id);
    const { partitionKey, sortKey, ttlAttribute, globalSecondaryIndexes, stream } = TABLE_DEFINITION;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: sortKey.name, type: AttributeType.STRING },
      timeToLiveAttribute: ttlAttribute,
      ...((props.stream ?? true) && { dynamoStream: StreamViewType[stream] }),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes: globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey.name, type: AttributeType.STRING },
        sortKey: { name: index.sortKey.name, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection.type],
        nonKeyAttributes: [...index.projection.nonKeyAttributes],
      })),
    });
  }
}
