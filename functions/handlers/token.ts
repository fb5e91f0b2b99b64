import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './token-handler.ts';

/** Lambda entry of `POST /token`, `/device_authorization`, `/revoke` and `/introspect`: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
