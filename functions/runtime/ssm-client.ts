import { SSMClient } from '@aws-sdk/client-ssm';
import { AWS_CALL_BUDGETS, clientConfig, prepared, type CallBudget, type EndpointOverride } from './aws-clients.ts';

/** The SSM client every function uses: its call budget, and 503 once a call stays unavailable. */
export function ssmClient(override?: EndpointOverride, budget: CallBudget = AWS_CALL_BUDGETS.ssm): SSMClient {
  return prepared(new SSMClient(clientConfig(budget, override)), 'SSM');
}
