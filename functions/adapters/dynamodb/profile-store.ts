import { TableStore } from './table-store.ts';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ProfileStore } from '../../oauth/sessions/profile.ts';
import { n, readNumber, readString, s } from './attributes.ts';

/** Latest login claims per subject (`PROFILE#<sub>`); no TTL: overwritten at each login. */
export class DynamoDbProfileStore extends TableStore implements ProfileStore {
  async put(subject: string, claims: Readonly<Record<string, unknown>>, updatedAt: number): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: s(`PROFILE#${subject}`), sk: s('PROFILE'), claims: s(JSON.stringify(claims)), updated_at: n(updatedAt) },
      }),
    );
  }

  async get(subject: string) {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: s(`PROFILE#${subject}`), sk: s('PROFILE') } }),
    );
    if (!Item) return undefined;
    return { claims: JSON.parse(readString(Item, 'claims')) as Record<string, unknown>, updatedAt: readNumber(Item, 'updated_at') };
  }
}
