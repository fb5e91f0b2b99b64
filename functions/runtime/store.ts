import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAccessTokenStore } from '../adapters/dynamodb/access-token-store.ts';
import { DynamoDbClientRepository } from '../adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../adapters/dynamodb/code-store.ts';
import { DynamoDbDeviceStore } from '../adapters/dynamodb/device-store.ts';
import { DynamoDbFamilyStore } from '../adapters/dynamodb/family-store.ts';
import { DynamoDbLoginRequestStore } from '../adapters/dynamodb/login-request-store.ts';
import { DynamoDbRevocationMarkers } from '../adapters/dynamodb/revocation-markers.ts';
import { DynamoDbSessionStore } from '../adapters/dynamodb/session-store.ts';
import { DynamoDbProfileStore } from '../adapters/dynamodb/profile-store.ts';
import { DynamoDbRateCounter } from '../adapters/dynamodb/rate-counter.ts';
import { DynamoDbRotationHistory } from '../adapters/dynamodb/rotation-history.ts';
import { DynamoDbSubjectIndex } from '../adapters/dynamodb/subject-index.ts';
import { CachedClientRepository } from '../oauth/clients/cached-client-repository.ts';
import type { Clock } from '../oauth/clock.ts';
import type { StoreEnvironment } from './environment.ts';
import { dynamoDbClient } from './aws-clients.ts';
import { lazy } from './lazy.ts';

/** The DynamoDB client and the stores over it, each built once per execution environment. */
export function storeServices(environment: StoreEnvironment, clock: Clock, client?: DynamoDBClient) {
  const dynamo = lazy(() => client ?? dynamoDbClient(environment.endpoint ? { endpoint: environment.endpoint } : undefined));
  const table = environment.tableName;
  const clients = lazy(() => new DynamoDbClientRepository(dynamo(), table));
  return {
    dynamo,
    clients,
    cachedClients: lazy(() => new CachedClientRepository(clients(), clock)),
    families: lazy(() => new DynamoDbFamilyStore(dynamo(), table)),
    codes: lazy(() => new DynamoDbCodeStore(dynamo(), table)),
    devices: lazy(() => new DynamoDbDeviceStore(dynamo(), table)),
    sessions: lazy(() => new DynamoDbSessionStore(dynamo(), table)),
    loginRequests: lazy(() => new DynamoDbLoginRequestStore(dynamo(), table)),
    accessTokens: lazy(() => new DynamoDbAccessTokenStore(dynamo(), table)),
    markers: lazy(() => new DynamoDbRevocationMarkers({ client: dynamo(), tableName: table, clock, syncIntervalMs: environment.markerSyncMs })),
    profiles: lazy(() => new DynamoDbProfileStore(dynamo(), table)),
    rates: lazy(() => new DynamoDbRateCounter(dynamo(), table)),
    rotationHistory: lazy(() => new DynamoDbRotationHistory(dynamo(), table)),
    subjectIndex: lazy(() => new DynamoDbSubjectIndex(dynamo(), table)),
  };
}
