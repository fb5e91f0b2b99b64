import { QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { IndexPage, ListedFamily, ListedSession, ListPosition, SubjectIndex } from '../../oauth/users/subject-index.ts';
import { readBoolean, readNumber, readOptionalString, readOptionalStrings, readString, readStrings, s } from './attributes.ts';
import { SUBJECT_INDEX } from './table-definition.ts';
import { TableStore } from './table-store.ts';

type Item = Record<string, AttributeValue>;
type Kind = 'FAMILY' | 'SESSION';

/** Twelve digits: epoch seconds sort as strings until the year 33658. */
const sortKey = (kind: Kind, position: ListPosition): string => `${kind}#${String(position.createdAt).padStart(12, '0')}#${position.id}`;

/**
 * The index keys of a family or session item: written when the item is created (and, for a
 * family stored before the index existed, by its next refresh, in the same write). Items of
 * any other kind never carry them, so the index holds families and sessions only.
 */
export function subjectIndexKeys(kind: Kind, subject: string, position: ListPosition): Item {
  return {
    [SUBJECT_INDEX.partitionKey.name]: s(`USER#${subject}`),
    [SUBJECT_INDEX.sortKey.name]: s(sortKey(kind, position)),
  };
}

/** The attribute names of the index keys, for an update that removes or sets them. */
export const SUBJECT_INDEX_ATTRIBUTES = [SUBJECT_INDEX.partitionKey.name, SUBJECT_INDEX.sortKey.name] as const;

function listedFamily(item: Item): ListedFamily {
  return {
    familyId: readString(item, 'family_id'),
    clientId: readString(item, 'client_id'),
    sid: readOptionalString(item, 'sid'),
    scope: readStrings(item, 'scope'),
    audience: readString(item, 'audience'),
    createdAt: readNumber(item, 'created_at'),
    authTime: readNumber(item, 'auth_time'),
    lastUsedAt: readNumber(item, 'last_used_at'),
    absoluteExpiresAt: readNumber(item, 'absolute_expires_at'),
    generation: readNumber(item, 'generation'),
    revoked: readBoolean(item, 'revoked'),
  };
}

function listedSession(item: Item): ListedSession {
  return {
    sid: readString(item, 'sid'),
    clientId: readString(item, 'client_id'),
    createdAt: readNumber(item, 'created_at'),
    authTime: readNumber(item, 'auth_time'),
    lastSeenAt: readNumber(item, 'last_seen_at'),
    idleTtl: readNumber(item, 'idle_ttl'),
    absoluteExpiresAt: readNumber(item, 'absolute_expires_at'),
    acr: readOptionalString(item, 'acr'),
    amr: readOptionalStrings(item, 'amr'),
  };
}

/**
 * The sparse `by-subject` index (functions/adapters/dynamodb/table-definition.ts): one Query
 * per page, newest first. A page resumes with a key condition on the sort key (`BETWEEN` the
 * kind's prefix and the position), not with a DynamoDB `ExclusiveStartKey`, so a position is
 * only a creation time and an id: it holds no table key (a session's is its cookie's hash).
 *
 * Families and sessions written before the index existed carry no index keys. A family gets
 * them at its next refresh; a session never does (its sid is only findable for sessions
 * started since: session-store.ts), so such sessions stay unlisted until they
 * expire, within `session_absolute_ttl`.
 */
export class DynamoDbSubjectIndex extends TableStore implements SubjectIndex {
  families(subject: string, after: ListPosition | undefined, limit: number): Promise<IndexPage<ListedFamily>> {
    return this.#page('FAMILY', subject, after, limit, listedFamily);
  }

  sessions(subject: string, after: ListPosition | undefined, limit: number): Promise<IndexPage<ListedSession>> {
    return this.#page('SESSION', subject, after, limit, listedSession);
  }

  async #page<T>(kind: Kind, subject: string, after: ListPosition | undefined, limit: number, read: (item: Item) => T): Promise<IndexPage<T>> {
    const { partitionKey: pk, sortKey: sk } = SUBJECT_INDEX;
    const prefix = `${kind}#`;
    const upper = after === undefined ? undefined : sortKey(kind, after);
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: SUBJECT_INDEX.indexName,
        KeyConditionExpression: upper === undefined ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk AND #sk BETWEEN :prefix AND :upper',
        ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
        ExpressionAttributeValues: { ':pk': s(`USER#${subject}`), ':prefix': s(prefix), ...(upper !== undefined && { ':upper': s(upper) }) },
        ScanIndexForward: false,
        // BETWEEN includes the position itself, when it is still there.
        Limit: upper === undefined ? limit : limit + 1,
      }),
    );
    const entries = Items.filter((item) => item[sk.name]?.S !== upper);
    if (entries.length > limit) return { entries: entries.slice(0, limit).map(read), more: true };
    return { entries: entries.map(read), more: LastEvaluatedKey !== undefined };
  }
}
