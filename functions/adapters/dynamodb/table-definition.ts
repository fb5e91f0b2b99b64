/** A global secondary index of the table: string keys, and what it copies from each item. */
export interface SecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: { readonly name: string; readonly type: 'S' };
  readonly sortKey: { readonly name: string; readonly type: 'S' };
  /** `INCLUDE`: the table's keys, the index's keys and these attributes, nothing else. */
  readonly projection: { readonly type: 'INCLUDE'; readonly nonKeyAttributes: readonly string[] };
}

/**
 * A user's refresh families and SSO sessions, newest first (`GET /admin/users/{subject}/…`).
 * Sparse: only family and session items carry `subject_pk` (`USER#<subject>`) and `subject_sk`
 * (`FAMILY#<created_at>#<family id>`, `SESSION#<created_at>#<sid>`), so nothing else is in it.
 *
 * It copies what the listings show and what tells a live entry from a dead one, and no more:
 * no secret hashes, no login claims. A listing is then one Query per page rather than a Query
 * and a read of every item (KEYS_ONLY); `ALL` would copy every family's hashes, claims and
 * rotation map, making each index write larger (an index write is charged per 1 KB of what it
 * copies, and a refresh changes `last_used_at`, so every refresh writes the index once).
 */
export const SUBJECT_INDEX = {
  indexName: 'by-subject',
  partitionKey: { name: 'subject_pk', type: 'S' },
  sortKey: { name: 'subject_sk', type: 'S' },
  projection: {
    type: 'INCLUDE',
    nonKeyAttributes: [
      // both
      'client_id',
      'created_at',
      'auth_time',
      'absolute_expires_at',
      'sid',
      // families
      'family_id',
      'last_used_at',
      'scope',
      'audience',
      'generation',
      'revoked',
      // sessions
      'last_seen_at',
      'idle_ttl',
      'acr',
      'amr',
    ],
  },
} as const satisfies SecondaryIndexDefinition;

/**
 * The one definition of Lifespan's DynamoDB table. The CDK stack (infra/) and the local
 * bootstrap (functions/local) both build the table from this, so they cannot drift apart.
 */
export const TABLE_DEFINITION = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds. DynamoDB deletes expired items only eventually: every read checks it too. */
  ttlAttribute: 'expires_at',
  /**
   * The table's change stream, read by the events function off the request path
   * (functions/handlers/events.ts): the security events the changes show, and every family
   * rotation for the timeline. Old and new image, to see what changed.
   */
  stream: 'NEW_AND_OLD_IMAGES',
  /**
   * CloudFormation creates or deletes at most one index per stack update: add a new index in a
   * deployment of its own.
   */
  globalSecondaryIndexes: [SUBJECT_INDEX] as ReadonlyArray<SecondaryIndexDefinition>,
} as const;
