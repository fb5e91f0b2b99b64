import { TableStore } from './table-store.ts';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ProfileStore } from '../../oauth/sessions/profile.ts';
import { n, readNumber, readString, s } from './attributes.ts';

const key = (subject: string) => ({ pk: s(`PROFILE#${subject}`), sk: s('PROFILE') });

/** Latest login claims per subject (`PROFILE#<sub>`); no TTL: overwritten at each login, deleted when the user is erased. */
export class DynamoDbProfileStore extends TableStore implements ProfileStore {
  async put(subject: string, claims: Readonly<Record<string, unknown>>, updatedAt: number): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...key(subject), claims: s(JSON.stringify(claims)), updated_at: n(updatedAt) },
      }),
    );
  }

  async delete(subject: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: key(subject) }));
  }

  async get(subject: string) {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: key(subject) }),
    );
    if (!Item) return undefined;
    return { claims: JSON.parse(readString(Item, 'claims')) as Record<string, unknown>, updatedAt: readNumber(Item, 'updated_at') };
  }
}
