import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './discovery-handler.ts';

/** Lambda entry of discovery and `/jwks.json`: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
