import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITION, type SecondaryIndexDefinition } from './table-definition.ts';

/** How long an older table may take to become active again after an update (DynamoDB Local: moments). */
const INDEX_WAIT_MS = 60_000;

function attributeDefinitions(indexes: readonly SecondaryIndexDefinition[]): AttributeDefinition[] {
  const { partitionKey, sortKey } = TABLE_DEFINITION;
  const attributes = new Map<string, 'S'>([
    [partitionKey.name, partitionKey.type],
    [sortKey.name, sortKey.type],
  ]);
  for (const index of indexes) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  return [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

function indexSpecification(index: SecondaryIndexDefinition): GlobalSecondaryIndex {
  return {
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: index.projection.type, NonKeyAttributes: [...index.projection.nonKeyAttributes] },
  };
}

/**
 * Brings a table an older version created up to the definition: its stream on, and every index
 * it lacks added (one per UpdateTable, as DynamoDB requires), waiting until each is active.
 * Items written before an index existed carry no index keys: they appear in it once they are
 * written again (functions/adapters/dynamodb/subject-index.ts says when).
 */
async function upgrade(client: DynamoDBClient, tableName: string, table: TableDescription): Promise<void> {
  if (table.StreamSpecification?.StreamEnabled !== true) {
    await client.send(
      new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_DEFINITION.stream } }),
    );
    await active(client, tableName);
  }
  const existing = new Map((table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.IndexStatus]));
  for (const index of TABLE_DEFINITION.globalSecondaryIndexes) {
    const status = existing.get(index.indexName);
    // One an earlier start added and did not see finish: wait for it again.
    if (status !== undefined) {
      if (status !== 'ACTIVE') await active(client, tableName, index.indexName);
      continue;
    }
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions([index]),
        GlobalSecondaryIndexUpdates: [{ Create: indexSpecification(index) }],
      }),
    );
    await active(client, tableName, index.indexName);
  }
}

/** Waits until the table (and the index, when named) is ACTIVE: UpdateTable is refused while it is not. */
async function active(client: DynamoDBClient, tableName: string, indexName?: string): Promise<void> {
  const deadline = Date.now() + INDEX_WAIT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
    if (Table?.TableStatus === 'ACTIVE' && (indexName === undefined || index?.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `table ${tableName} (${Table?.TableStatus})${indexName === undefined ? '' : ` or its index ${indexName} (${index?.IndexStatus})`} ` +
          `did not become active within ${INDEX_WAIT_MS / 1000} s: start again (it resumes), or remove the local data to begin afresh`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Creates the table from {@link TABLE_DEFINITION} if it is missing (local mode and tests; CDK
 * owns it in AWS); a table made by an older version gets what it lacks (its stream, its indexes).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, ttlAttribute, globalSecondaryIndexes, stream } = TABLE_DEFINITION;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    await upgrade(client, tableName, Table ?? {});
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: stream },
        AttributeDefinitions: attributeDefinitions(globalSecondaryIndexes),
        KeySchema: [
          { AttributeName: partitionKey.name, KeyType: 'HASH' },
          { AttributeName: sortKey.name, KeyType: 'RANGE' },
        ],
        ...(globalSecondaryIndexes.length > 0 && { GlobalSecondaryIndexes: globalSecondaryIndexes.map(indexSpecification) }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
}
