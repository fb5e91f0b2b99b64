import { lambdaRuntime } from '../runtime/handler-runtime.ts';
import { createHandler } from './userinfo-handler.ts';

/** Lambda entry of `/userinfo`: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
