import { recordRotations, type BatchResponse, type StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import { readStage, readStoreEnvironment } from '../runtime/environment.ts';
import { storeServices } from '../runtime/store.ts';

const store = storeServices(readStoreEnvironment(process.env), systemClock);
const metrics = emfMetrics(readStage(process.env));

/**
 * Lambda entry of the table's stream (family items only, by the event source's filter): keeps
 * every rotation for the family timeline, off the refresh path. Not behind the API.
 */
export async function handler(event: { readonly Records: readonly StreamRecord[] }): Promise<BatchResponse> {
  try {
    return await recordRotations(event.Records, { history: store.rotationHistory(), logger: jsonLogger, metrics });
  } finally {
    // Lambda may freeze the process as soon as the handler returns.
    metrics.flush();
  }
}
