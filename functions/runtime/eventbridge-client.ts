import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AWS_CALL_BUDGETS, clientConfig, prepared, type CallBudget, type EndpointOverride } from './aws-clients.ts';

/** The EventBridge client of the events function, with its call budget (its failures go back to the stream, not to a client). */
export function eventBridgeClient(override?: EndpointOverride, budget: CallBudget = AWS_CALL_BUDGETS.eventbridge): EventBridgeClient {
  return prepared(new EventBridgeClient(clientConfig(budget, override)));
}
