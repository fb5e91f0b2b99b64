import { KMSClient } from '@aws-sdk/client-kms';
import { AWS_CALL_BUDGETS, clientConfig, prepared, type CallBudget, type EndpointOverride } from './aws-clients.ts';

/** The KMS client every function uses: its call budget, and 503 once a call stays unavailable. */
export function kmsClient(override?: EndpointOverride, budget: CallBudget = AWS_CALL_BUDGETS.kms): KMSClient {
  return prepared(new KMSClient(clientConfig(budget, override)), 'KMS');
}
