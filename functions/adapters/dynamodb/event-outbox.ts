import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EventOutbox } from '../../events/recorder.ts';
import type { SecurityEvent } from '../../events/security-event.ts';
import { n, s } from './attributes.ts';
import { conditional, TableStore } from './table-store.ts';

type Item = Record<string, AttributeValue>;

/** The sort key of recorded events: the events function's stream filter lets their inserts through. */
export const EVENT_SORT_KEY = 'EVENT';

/**
 * A recorded event as an item (`EVENT#<id>` / `EVENT`): its type, time and facts, kept until
 * `keepUntil`. Also written by the session store, in the same transaction as the session it ends.
 */
export function outboxItem(event: SecurityEvent, keepUntil: number): Item {
  return {
    pk: s(`EVENT#${event.id}`),
    sk: s(EVENT_SORT_KEY),
    id: s(event.id),
    type: s(event.type),
    at: n(event.time),
    facts: s(JSON.stringify(event.facts)),
    expires_at: n(keepUntil),
  };
}

/**
 * The outbox of events no other change of an item shows: one conditional put each, so an event
 * with a deterministic id (a rate limit's window) is recorded once however many requests see it.
 */
export class DynamoDbEventOutbox extends TableStore implements EventOutbox {
  async put(event: SecurityEvent, keepUntil: number): Promise<boolean> {
    return conditional(
      this.client.send(
        new PutItemCommand({ TableName: this.table, Item: outboxItem(event, keepUntil), ConditionExpression: 'attribute_not_exists(pk)' }),
      ).then(() => true),
      () => false,
    );
  }
}
