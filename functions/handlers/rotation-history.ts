import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './rotation-history-handler.ts';

/** Lambda entry of the table's stream (rotation history): the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
