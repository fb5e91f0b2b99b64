import { KMSClient } from '@aws-sdk/client-kms';
import { AWS_CALL_BUDGETS, clientConfig, unavailableAsServiceError, UNAVAILABLE_MIDDLEWARE, type CallBudget, type EndpointOverride } from './aws-clients.ts';

/** The KMS client every function uses: its call budget, and 503 once a call stays unavailable. */
export function kmsClient(override?: EndpointOverride, budget: CallBudget = AWS_CALL_BUDGETS.kms): KMSClient {
  const client = new KMSClient(clientConfig(budget, override));
  client.middlewareStack.add(unavailableAsServiceError('KMS'), UNAVAILABLE_MIDDLEWARE);
  return client;
}
