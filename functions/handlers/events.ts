import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './events-handler.ts';

/** Lambda entry of the table's stream (security events, rotation history): the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
