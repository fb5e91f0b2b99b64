import { BatchGetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { n, readString, s } from './attributes.ts';
import { TableStore } from './table-store.ts';

type Item = Record<string, AttributeValue>;

const key = (id: string): Item => ({ pk: s(`PUBLISHED#${id}`), sk: s('PUBLISHED') });
/** BatchGetItem's limit. */
const KEYS_PER_READ = 100;
const READ_ATTEMPTS = 3;

/** Port of the events function: which events it has already published. */
export interface PublishedEvents {
  /** The ids among `ids` already published. */
  seen(ids: readonly string[], now: number): Promise<ReadonlySet<string>>;
  /** Remembers that these were published, until `until` (epoch seconds). */
  remember(ids: readonly string[], until: number): Promise<void>;
}

/**
 * EventBridge keeps no idempotency key, so the events function does: one `PUBLISHED#<event id>`
 * item per event published, written after EventBridge accepted it and read (in one consistent
 * BatchGetItem) before publishing a batch. A redelivered batch finds its events there and
 * publishes nothing twice; only a crash between the publish and this write repeats one.
 */
export class DynamoDbPublishedEvents extends TableStore implements PublishedEvents {
  async seen(ids: readonly string[], now: number): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    for (let start = 0; start < ids.length; start += KEYS_PER_READ) {
      let keys: Item[] = [...new Set(ids.slice(start, start + KEYS_PER_READ))].map(key);
      // Keys left unprocessed after the retries count as not seen: a repeat, never a loss.
      for (let attempt = 0; keys.length > 0 && attempt < READ_ATTEMPTS; attempt += 1) {
        const output = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of output.Responses?.[this.table] ?? []) {
          if (Number(item['expires_at']?.N ?? 0) > now) found.add(readString(item, 'pk').slice('PUBLISHED#'.length));
        }
        keys = output.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return found;
  }

  async remember(ids: readonly string[], until: number): Promise<void> {
    await Promise.all(ids.map((id) => this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...key(id), expires_at: n(until) } }))));
  }
}
