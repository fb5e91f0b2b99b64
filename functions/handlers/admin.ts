import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './admin-handler.ts';

/** Lambda entry of the admin API: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
