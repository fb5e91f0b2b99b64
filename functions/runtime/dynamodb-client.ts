import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWS_CALL_BUDGETS, LOCAL_DYNAMODB_BUDGET, clientConfig, prepared, type CallBudget, type EndpointOverride } from './aws-clients.ts';

/** The DynamoDB client every function uses: its call budget, and 503 once a call stays unavailable. */
export function dynamoDbClient(override?: EndpointOverride, budget: CallBudget = override ? LOCAL_DYNAMODB_BUDGET : AWS_CALL_BUDGETS.dynamodb): DynamoDBClient {
  return prepared(new DynamoDBClient(clientConfig(budget, override)), 'DynamoDB');
}
