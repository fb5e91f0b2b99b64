import {
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type Update,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** A conditional update's outcome: committed, or refused with the item as it was (if it existed). */
export type ConditionalOutcome = { readonly committed: true } | { readonly committed: false; readonly item: Item | undefined };

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

  /**
   * One conditional update and, when `created` is given, a new item in the same transaction
   * (both or neither): a single use consumed together with the family it starts, so a failure
   * can never leave one without the other. A failed condition is an outcome, not an error.
   */
  protected async updateTogether(update: Omit<Update, 'TableName'>, created?: Item): Promise<ConditionalOutcome> {
    try {
      if (created === undefined) {
        await this.client.send(new UpdateItemCommand({ ...update, TableName: this.table, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      } else {
        // The SDK fills ClientRequestToken, so its own retry of a transaction that committed succeeds.
        await this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Update: { ...update, TableName: this.table, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
              { Put: { TableName: this.table, Item: created, ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
      }
      return { committed: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { committed: false, item: error.Item };
      if (error instanceof TransactionCanceledException) {
        const [first] = error.CancellationReasons ?? [];
        if (first?.Code === 'ConditionalCheckFailed') return { committed: false, item: first.Item };
        // A concurrent transaction on the same item: the caller reads it again to learn who won.
        if (first?.Code === 'TransactionConflict') return { committed: false, item: undefined };
      }
      throw error;
    }
  }
}
