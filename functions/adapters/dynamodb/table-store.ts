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

/**
 * A conditional write's outcome: what `write` resolves to when it commits, or what `refused`
 * makes of the item as it was (when the write asked for `ALL_OLD`) when its condition failed —
 * a `ConditionalCheckFailedException`, or a transaction cancelled because its first action's
 * condition failed. A failed condition is an outcome, not an error; any other error propagates.
 */
export async function conditional<T>(write: Promise<T>, refused: (item: Item | undefined) => T): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return refused(error.Item);
    const [first] = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
    if (first?.Code === 'ConditionalCheckFailed') return refused(first.Item);
    throw error;
  }
}

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
    const write =
      created === undefined
        ? this.client.send(new UpdateItemCommand({ ...update, TableName: this.table, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }))
        : // The SDK fills ClientRequestToken, so its own retry of a transaction that committed succeeds.
          this.client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                { Update: { ...update, TableName: this.table, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
                { Put: { TableName: this.table, Item: created, ConditionExpression: 'attribute_not_exists(pk)' } },
              ],
            }),
          );
    try {
      return await conditional<ConditionalOutcome>(
        write.then(() => ({ committed: true })),
        (item) => ({ committed: false, item }),
      );
    } catch (error) {
      // A concurrent transaction on the same item: the caller reads it again to learn who won.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'TransactionConflict') {
        return { committed: false, item: undefined };
      }
      throw error;
    }
  }
}
