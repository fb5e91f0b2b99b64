import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './devlogin-handler.ts';

/** Lambda entry of the development login and device pages (local server only): the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
