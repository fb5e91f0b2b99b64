import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureTable } from '../../functions/adapters/dynamodb/ensure-table.ts';

/** A DynamoDB client for the run's DynamoDB Local (or another one's endpoint). */
export function localDynamoClient(endpoint: string = inject('dynamoDbEndpoint')): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A fresh table of Lifespan's definition, so test files running in parallel never share state. */
export async function freshTable(client: DynamoDBClient = localDynamoClient()): Promise<{ client: DynamoDBClient; tableName: string }> {
  const tableName = `lifespan-test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return { client, tableName };
}
