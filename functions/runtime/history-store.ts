import { DynamoDbRotationHistory } from '../adapters/dynamodb/rotation-history.ts';
import { lazy } from './lazy.ts';
import type { StoreServices } from './store.ts';

/** Every rotation of every family (the timeline's history), over the same client and table. */
export function rotationHistoryStore(store: StoreServices) {
  return lazy(() => new DynamoDbRotationHistory(store.dynamo(), store.table));
}
