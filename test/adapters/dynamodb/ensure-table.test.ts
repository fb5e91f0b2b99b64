import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../functions/adapters/dynamodb/ensure-table.ts';
import { SUBJECT_INDEX, TABLE_DEFINITION } from '../../../functions/adapters/dynamodb/table-definition.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../functions/local/dynamodb-local.ts';
import { freshTable, localDynamoClient } from '../../support/dynamodb.ts';

describe('ensureTable', () => {
  it('creates the table from the shared definition, with TTL on, and is idempotent', async () => {
    const { client, tableName } = await freshTable();
    await ensureTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_DEFINITION.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE_DEFINITION.sortKey.name, KeyType: 'RANGE' },
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(TABLE_DEFINITION.ttlAttribute);
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });

  it('creates the table with its stream of old and new images', async () => {
    const { client, tableName } = await freshTable();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.LatestStreamArn).toMatch(/stream/);
  });

  it('creates the subject index: sparse keys, and only the attributes the listings need', async () => {
    const { client, tableName } = await freshTable();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema, Projection, IndexStatus }) => ({ IndexName, KeySchema, Projection, IndexStatus }))).toEqual([
      {
        IndexName: 'by-subject',
        KeySchema: [
          { AttributeName: 'subject_pk', KeyType: 'HASH' },
          { AttributeName: 'subject_sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...SUBJECT_INDEX.projection.nonKeyAttributes] },
        IndexStatus: 'ACTIVE',
      },
    ]);
    for (const secret of ['current_hash', 'previous_hash', 'claims', 'subject']) expect(SUBJECT_INDEX.projection.nonKeyAttributes).not.toContain(secret);
  });

  describe('on a table an older version created (npm start data kept in .lifespan/)', () => {
    // A DynamoDB Local of its own, holding only this table as `npm start`'s does: in the run's
    // shared one, with dozens of tables, DynamoDB Local at times never finishes an index that
    // UpdateTable adds (it stays CREATING).
    let own: DynamoDbLocal;
    beforeAll(async () => {
      own = await startDynamoDbLocal();
    });
    afterAll(async () => {
      await own.stop();
    });

    it('turns the stream on and adds the subject index, and new items are found by it', async () => {
      const client = localDynamoClient(own.endpoint);
      const tableName = `lifespan-test-${randomUUID()}`;
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      // An item the older version wrote, and one written with the index keys after the upgrade.
      const item = (id: string, indexed: boolean) => ({
        pk: { S: `FAMILY#${id}` },
        sk: { S: 'FAMILY' },
        client_id: { S: 'web' },
        current_hash: { S: 'secret-hash' },
        ...(indexed && { subject_pk: { S: 'USER#alice' }, subject_sk: { S: `FAMILY#0000000001#${id}` } }),
      });
      await client.send(new PutItemCommand({ TableName: tableName, Item: item('old', false) }));
      await ensureTable(client, tableName);
      await ensureTable(client, tableName);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(Table?.GlobalSecondaryIndexes?.map(({ IndexName, IndexStatus, Projection }) => ({ IndexName, IndexStatus, Projection: Projection?.ProjectionType }))).toEqual([
        { IndexName: 'by-subject', IndexStatus: 'ACTIVE', Projection: 'INCLUDE' },
      ]);
      await client.send(new PutItemCommand({ TableName: tableName, Item: item('new', true) }));
      const { Items } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'by-subject',
          KeyConditionExpression: 'subject_pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'USER#alice' } },
        }),
      );
      expect(Items).toEqual([{ pk: { S: 'FAMILY#new' }, sk: { S: 'FAMILY' }, client_id: { S: 'web' }, subject_pk: { S: 'USER#alice' }, subject_sk: { S: 'FAMILY#0000000001#new' } }]);
    });
  });
});
