import { recordRotations, type BatchResponse, type StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { jsonLogger } from '../observability/logger.ts';
import { readStoreEnvironment } from '../runtime/environment.ts';
import { lambdaRuntime, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { storeServices } from '../runtime/store.ts';

/** A stream handler, as Lambda's event source mapping calls it. */
export type StreamHandler = (event: { readonly Records: readonly StreamRecord[] }) => Promise<BatchResponse>;

/**
 * The table's stream (family items only, by the event source's filter): keeps every rotation for
 * the family timeline, off the refresh path. Not behind the API.
 */
export function createHandler(runtime: HandlerRuntime): StreamHandler {
  const store = storeServices(readStoreEnvironment(runtime.env), runtime.clock);
  const logger = jsonLogger(runtime.write);
  return async (event) => recordRotations(event.Records, { history: store.rotationHistory(), logger });
}

/** Lambda entry: the environment is read and checked at cold start. */
export const handler = createHandler(lambdaRuntime());
