import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAccessTokenStore } from '../adapters/dynamodb/access-token-store.ts';
import { DynamoDbClientRepository } from '../adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../adapters/dynamodb/code-store.ts';
import { DynamoDbDeviceStore } from '../adapters/dynamodb/device-store.ts';
import { DynamoDbFamilyStore } from '../adapters/dynamodb/family-store.ts';
import { DynamoDbRevocationMarkers } from '../adapters/dynamodb/revocation-markers.ts';
import { DynamoDbRateCounter } from '../adapters/dynamodb/rate-counter.ts';
import { DynamoDbProofReplays } from '../adapters/dynamodb/proof-replays.ts';
import { CachedClientRepository } from '../oauth/clients/cached-client-repository.ts';
import type { Clock } from '../oauth/clock.ts';
import type { StoreEnvironment } from './environment.ts';
import { dynamoDbClient } from './dynamodb-client.ts';
import { lazy } from './lazy.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { readStoreEnvironment } from './environment.ts';

/**
 * The DynamoDB client and the stores of the token path over it, each built once per execution
 * environment. The browser's stores (login-stores.ts) and the rotation history (history-store.ts)
 * are built from this in modules of their own, so the token function does not bundle them.
 */
export function storeServices(environment: StoreEnvironment, clock: Clock, client?: DynamoDBClient) {
  const dynamo = lazy(() => client ?? dynamoDbClient(environment.endpoint ? { endpoint: environment.endpoint } : undefined));
  const table = environment.tableName;
  const clients = lazy(() => new DynamoDbClientRepository(dynamo(), table));
  return {
    dynamo,
    table,
    clients,
    cachedClients: lazy(() => new CachedClientRepository(clients(), clock)),
    families: lazy(() => new DynamoDbFamilyStore(dynamo(), table)),
    codes: lazy(() => new DynamoDbCodeStore(dynamo(), table)),
    devices: lazy(() => new DynamoDbDeviceStore(dynamo(), table)),
    accessTokens: lazy(() => new DynamoDbAccessTokenStore(dynamo(), table)),
    markers: lazy(() => new DynamoDbRevocationMarkers({ client: dynamo(), tableName: table, clock })),
    rates: lazy(() => new DynamoDbRateCounter(dynamo(), table)),
    proofReplays: lazy(() => new DynamoDbProofReplays(dynamo(), table)),
  };
}

/** The stores a handler uses, from its environment (or the DynamoDB client it was given). */
export function storeFor(services: HandlerServices) {
  return storeServices(readStoreEnvironment(services.runtime.env), services.clock, services.runtime.aws?.dynamodb);
}

export type StoreServices = ReturnType<typeof storeServices>;
