import { PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Rotation, RotationHistory } from '../../oauth/tokens/family.ts';
import { n, readNumber, s } from './attributes.ts';
import { TableStore } from './table-store.ts';

const PREFIX = 'ROT#';
/** Zero-padded so the sort key orders rotations by generation. */
const sortKey = (generation: number) => `${PREFIX}${String(generation).padStart(12, '0')}`;

/**
 * Rotation history, in the family's own partition (`FAMILY#<id>`, sort key `ROT#<generation>`),
 * beside the family item (sort key `FAMILY`), with a TTL of the family's absolute expiry: it
 * lives as long as the family can.
 */
export class DynamoDbRotationHistory extends TableStore implements RotationHistory {
  async record(rotation: Rotation): Promise<void> {
    // A plain put: a redelivered stream record writes the same item again.
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: s(`FAMILY#${rotation.familyId}`),
          sk: s(sortKey(rotation.generation)),
          generation: n(rotation.generation),
          at: n(rotation.at),
          expires_at: n(rotation.keepUntil),
        },
      }),
    );
  }

  async rotations(familyId: string, pageSize?: number): Promise<Array<{ generation: number; at: number }>> {
    const rotations: Array<{ generation: number; at: number }> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': s(`FAMILY#${familyId}`), ':prefix': s(PREFIX) },
          ProjectionExpression: 'generation, #at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExclusiveStartKey: start,
          Limit: pageSize,
        }),
      );
      for (const item of page.Items ?? []) rotations.push({ generation: readNumber(item, 'generation'), at: readNumber(item, 'at') });
      start = page.LastEvaluatedKey;
    } while (start);
    return rotations;
  }
}
