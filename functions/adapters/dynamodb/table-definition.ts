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
   * The table's change stream, which records every family rotation for the timeline off the
   * refresh path (functions/handlers/rotation-history.ts): old and new image, to see the
   * generation go up.
   */
  stream: 'NEW_AND_OLD_IMAGES',
  globalSecondaryIndexes: [] as ReadonlyArray<{
    readonly indexName: string;
    readonly partitionKey: { readonly name: string; readonly type: 'S' };
    readonly sortKey: { readonly name: string; readonly type: 'S' };
  }>,
} as const;
