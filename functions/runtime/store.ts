import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbClientRepository } from '../adapters/dynamodb/client-repository.ts';
import type { StoreEnvironment } from './environment.ts';
import { lazy } from './lazy.ts';

/** The DynamoDB client and repositories, built once per execution environment. */
export function storeServices(environment: StoreEnvironment) {
  const dynamo = lazy(
    () =>
      new DynamoDBClient(
        environment.endpoint
          ? {
              endpoint: environment.endpoint,
              region: 'local',
              credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            }
          : {},
      ),
  );
  return {
    dynamo,
    clients: lazy(() => new DynamoDbClientRepository(dynamo(), environment.tableName)),
  };
}
