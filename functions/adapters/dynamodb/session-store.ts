import { conditional, TableStore } from './table-store.ts';
import {
  DeleteItemCommand,
  GetItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { OUTBOX_RETENTION_SECONDS } from '../../events/recorder.ts';
import type { SecurityEvent } from '../../events/security-event.ts';
import { sessionExpiresAt, type Session, type SessionStore } from '../../oauth/sessions/session.ts';
import { outboxItem } from './event-outbox.ts';
import { bool, n, readBoolean, readNumber, readString, s } from './attributes.ts';
import { loginAttributes, readLoginAttributes } from './login-attributes.ts';
import { subjectIndexKeys } from './subject-index.ts';

type Item = Record<string, AttributeValue>;

const key = (cookieHash: string): Item => ({ pk: s(`SESSION#${cookieHash}`), sk: s('SESSION') });
const sidKey = (sid: string): Item => ({ pk: s(`SID#${sid}`), sk: s('SID') });

/**
 * SSO sessions (`SESSION#<sha256 of the cookie>`), TTL = min(last seen + idle, created + absolute),
 * listed in the subject index (subject-index.ts). Beside each, from its login to its absolute
 * expiry, `SID#<sid>` names it by its public id (the ID token's `sid`), so an operator can end
 * it without its cookie. Sessions started before that item existed have none, and no index keys.
 */
export class DynamoDbSessionStore extends TableStore implements SessionStore {
  async create(cookieHash: string, session: Session): Promise<void> {
    // One transaction: a session is never without the item that names it by sid.
    await this.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table,
              ConditionExpression: 'attribute_not_exists(pk)',
              Item: {
                ...key(cookieHash),
                ...subjectIndexKeys('SESSION', session.subject, { createdAt: session.createdAt, id: session.sid }),
                ...loginAttributes(session),
                client_id: s(session.clientId),
                created_at: n(session.createdAt),
                last_seen_at: n(session.lastSeenAt),
                idle_ttl: n(session.idleTtl),
                absolute_expires_at: n(session.absoluteExpiresAt),
                remember: bool(session.remember),
                expires_at: n(sessionExpiresAt(session)),
              },
            },
          },
          {
            Put: {
              TableName: this.table,
              ConditionExpression: 'attribute_not_exists(pk)',
              Item: { ...sidKey(session.sid), cookie_hash: s(cookieHash), subject: s(session.subject), expires_at: n(session.absoluteExpiresAt) },
            },
          },
        ],
      }),
    );
  }

  async get(cookieHash: string): Promise<Session | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key(cookieHash), ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      ...readLoginAttributes(Item),
      sid: readString(Item, 'sid'),
      clientId: readString(Item, 'client_id'),
      createdAt: readNumber(Item, 'created_at'),
      lastSeenAt: readNumber(Item, 'last_seen_at'),
      idleTtl: readNumber(Item, 'idle_ttl'),
      absoluteExpiresAt: readNumber(Item, 'absolute_expires_at'),
      remember: readBoolean(Item, 'remember'),
    };
  }

  async touch(cookieHash: string, current: Session, now: number): Promise<boolean> {
    if (sessionExpiresAt(current) <= now) return false;
    // min(now + idle, absolute) cannot be computed in an update expression; the caller's
    // read gave both, and neither changes after creation.
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(cookieHash),
          UpdateExpression: 'SET last_seen_at = :now, expires_at = :ttl',
          ConditionExpression: 'expires_at > :now AND last_seen_at <= :now',
          ExpressionAttributeValues: {
            ':now': n(now),
            ':ttl': n(sessionExpiresAt({ ...current, lastSeenAt: now })),
          },
        }),
      ).then(() => true),
      () => false,
    );
  }

  async delete(cookieHash: string, ended?: SecurityEvent): Promise<void> {
    if (ended === undefined) {
      await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: key(cookieHash) }));
      return;
    }
    // The session and the record of its end in one transaction: the events function publishes
    // the end from the table's stream, and a session already gone records nothing.
    await conditional(
      this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: this.table, Key: key(cookieHash), ConditionExpression: 'attribute_exists(pk)' } },
            { Put: { TableName: this.table, Item: outboxItem(ended, ended.time + OUTBOX_RETENTION_SECONDS), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ).then(() => undefined),
      () => undefined,
    );
  }

  async findBySid(sid: string): Promise<{ subject: string; cookieHash: string; knownUntil: number } | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: sidKey(sid), ConsistentRead: true }));
    if (!Item) return undefined;
    return { subject: readString(Item, 'subject'), cookieHash: readString(Item, 'cookie_hash'), knownUntil: readNumber(Item, 'expires_at') };
  }

  async forgetSid(sid: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: sidKey(sid) }));
  }
}
