import { DynamoDbPublishedEvents } from '../adapters/dynamodb/published-events.ts';
import { EventBusPublisher } from '../adapters/eventbridge/event-bus-publisher.ts';
import { FileEventPublisher } from '../adapters/local/file-event-publisher.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Logger } from '../observability/logger.ts';
import type { EventsEnvironment } from './environment.ts';
import { eventBridgeClient } from './eventbridge-client.ts';
import type { HandlerRuntime } from './handler-runtime.ts';
import { lazy } from './lazy.ts';
import type { StoreServices } from './store.ts';

/** Where the events function publishes: the runtime's publisher if it was given one, else the environment's. */
export function eventPublisherFor(runtime: HandlerRuntime, environment: EventsEnvironment, logger: Logger): () => EventPublisher {
  return lazy(() => {
    if (runtime.events) return runtime.events;
    if (environment.kind === 'eventbridge') {
      return new EventBusPublisher({ client: runtime.aws?.eventbridge ?? eventBridgeClient(), bus: environment.bus, logger });
    }
    // A build-time constant in the Lambda bundles: esbuild drops this branch and the file publisher.
    if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
      return new FileEventPublisher({ file: environment.file, url: environment.url, logger });
    }
    throw new TypeError('the local events file is not part of the Lambda bundle');
  });
}

/** The events function's record of what it has published (its idempotency keys). */
export function publishedEventsFor(store: StoreServices) {
  return lazy(() => new DynamoDbPublishedEvents(store.dynamo(), store.table));
}
