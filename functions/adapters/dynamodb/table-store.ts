import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What every store over the Lifespan table holds: the injected client and the table's name. */
export abstract class TableStore {
  protected readonly client: DynamoDBClient;
  protected readonly table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.client = client;
    this.table = tableName;
  }

  /** Writes a new item; throws ConditionalCheckFailedException if its key is taken. */
  protected async putNew(item: Record<string, AttributeValue>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }
}
