import { TableStore } from './table-store.ts';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RateCounter } from '../../oauth/rate-limit.ts';
import { n, s } from './attributes.ts';

/** One item per key and window (`RATE#<key>#<window>`), deleted by TTL when the window is over. */
export class DynamoDbRateCounter extends TableStore implements RateCounter {
  async hit(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }> {
    const window = Math.floor(now / windowSeconds);
    const resetAt = (window + 1) * windowSeconds;
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: s(`RATE#${key}#${window}`), sk: s('RATE') },
        UpdateExpression: 'ADD #count :one SET expires_at = :reset',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': n(1), ':reset': n(resetAt) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { count: Number(Attributes?.['count']?.N ?? '1'), resetAt };
  }

  async peek(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }> {
    const window = Math.floor(now / windowSeconds);
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: s(`RATE#${key}#${window}`), sk: s('RATE') }, ConsistentRead: true }),
    );
    return { count: Number(Item?.['count']?.N ?? '0'), resetAt: (window + 1) * windowSeconds };
  }
}
