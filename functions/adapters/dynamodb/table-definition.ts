/**
 * The one definition of Lifespan's DynamoDB table. The CDK stack (infra/) and the local
 * bootstrap (functions/local) both build the table from this, so they cannot drift apart.
 */
export const TABLE_DEFINITION = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds. DynamoDB deletes expired items only eventually: every read checks it too. */
  ttlAttribute: 'expires_at',
  globalSecondaryIndexes: [] as ReadonlyArray<{
    readonly indexName: string;
    readonly partitionKey: { readonly name: string; readonly type: 'S' };
    readonly sortKey: { readonly name: string; readonly type: 'S' };
  }>,
} as const;
