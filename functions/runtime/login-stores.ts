import { DynamoDbLoginRequestStore } from '../adapters/dynamodb/login-request-store.ts';
import { DynamoDbProfileStore } from '../adapters/dynamodb/profile-store.ts';
import { DynamoDbSessionStore } from '../adapters/dynamodb/session-store.ts';
import { DynamoDbSubjectIndex } from '../adapters/dynamodb/subject-index.ts';
import { lazy } from './lazy.ts';
import type { StoreServices } from './store.ts';

/** The stores of browser logins (SSO sessions, pending login requests, login claims), over the same client and table. */
export function loginStores(store: StoreServices) {
  return {
    sessions: lazy(() => new DynamoDbSessionStore(store.dynamo(), store.table)),
    loginRequests: lazy(() => new DynamoDbLoginRequestStore(store.dynamo(), store.table)),
    profiles: lazy(() => new DynamoDbProfileStore(store.dynamo(), store.table)),
    /** A user's families and sessions by subject (the operator's listings). */
    subjectIndex: lazy(() => new DynamoDbSubjectIndex(store.dynamo(), store.table)),
  };
}
