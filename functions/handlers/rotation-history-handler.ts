import { recordRotations, type BatchResponse, type StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import { readStage, readStoreEnvironment } from '../runtime/environment.ts';
import { type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { storeServices } from '../runtime/store.ts';
import { rotationHistoryStore } from '../runtime/history-store.ts';

/** A stream handler, as Lambda's event source mapping calls it. */
export type StreamHandler = (event: { readonly Records: readonly StreamRecord[] }) => Promise<BatchResponse>;

/**
 * The table's stream (family items only, by the event source's filter): keeps every rotation for
 * the family timeline, off the refresh path. Not behind the API.
 */
export function createHandler(runtime: HandlerRuntime): StreamHandler {
  const history = rotationHistoryStore(storeServices(readStoreEnvironment(runtime.env), runtime.clock, runtime.aws?.dynamodb));
  const logger = jsonLogger(runtime.write);
  const metrics = emfMetrics(readStage(runtime.env), runtime.write);
  return async (event) => {
    try {
      return await recordRotations(event.Records, { history: history(), logger, metrics });
    } finally {
      // Lambda may freeze the process as soon as the handler returns.
      metrics.flush();
    }
  };
}

