import { recordRotations, type BatchResponse, type StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { systemClock } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { readStoreEnvironment } from '../runtime/environment.ts';
import { storeServices } from '../runtime/store.ts';

const store = storeServices(readStoreEnvironment(process.env), systemClock);

/**
 * Lambda entry of the table's stream (family items only, by the event source's filter): keeps
 * every rotation for the family timeline, off the refresh path. Not behind the API.
 */
export async function handler(event: { readonly Records: readonly StreamRecord[] }): Promise<BatchResponse> {
  return recordRotations(event.Records, { history: store.rotationHistory(), logger: jsonLogger });
}
