import { DynamoDbEventOutbox } from '../adapters/dynamodb/event-outbox.ts';
import { boundedRecorder, type SecurityEventRecorder } from '../events/recorder.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { lazy } from './lazy.ts';
import type { StoreServices } from './store.ts';

/**
 * The recorder of a function that serves requests: events no item change shows go to the
 * table's outbox, for the events function to publish (this function needs no EventBridge access).
 */
export function securityEventsFor(services: HandlerServices, store: StoreServices): () => SecurityEventRecorder {
  return lazy(() =>
    boundedRecorder({
      outbox: new DynamoDbEventOutbox(store.dynamo(), store.table),
      stage: services.core.stage,
      clock: services.clock,
      logger: services.logger,
      metrics: services.metrics,
    }),
  );
}
