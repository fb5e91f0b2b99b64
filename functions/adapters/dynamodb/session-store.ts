import { TableStore } from './table-store.ts';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { sessionExpiresAt, type Session, type SessionStore } from '../../oauth/sessions/session.ts';
import { bool, n, readBoolean, readNumber, readString, s } from './attributes.ts';
import { loginAttributes, readLoginAttributes } from './login-attributes.ts';

type Item = Record<string, AttributeValue>;

const key = (cookieHash: string): Item => ({ pk: s(`SESSION#${cookieHash}`), sk: s('SESSION') });

/** SSO sessions (`SESSION#<sha256 of the cookie>`), TTL = min(last seen + idle, created + absolute). */
export class DynamoDbSessionStore extends TableStore implements SessionStore {
  async create(cookieHash: string, session: Session): Promise<void> {
    await this.putNew({
          ...key(cookieHash),
          ...loginAttributes(session),
          client_id: s(session.clientId),
          created_at: n(session.createdAt),
          last_seen_at: n(session.lastSeenAt),
          idle_ttl: n(session.idleTtl),
          absolute_expires_at: n(session.absoluteExpiresAt),
          remember: bool(session.remember),
          expires_at: n(sessionExpiresAt(session)),
        });
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
    try {
      // min(now + idle, absolute) cannot be computed in an update expression; the caller's
      // read gave both, and neither changes after creation.
      await this.client.send(
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
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(cookieHash: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: key(cookieHash) }));
  }
}
