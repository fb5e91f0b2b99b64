import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './authorize-handler.ts';

/** Lambda entry of `GET /authorize` and `GET /logout`: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
