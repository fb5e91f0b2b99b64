import type { EventDetail } from './security-event.ts';

/** One event as it leaves Lifespan: its EventBridge `detail-type` and `detail`. */
export interface OutgoingEvent {
  readonly detailType: string;
  readonly detail: EventDetail;
}

/**
 * Port: where the events function publishes. Adapters: an EventBridge bus
 * (functions/adapters/eventbridge) and, locally, `events.jsonl` plus an optional URL
 * (functions/adapters/local/file-event-publisher.ts).
 */
export interface EventPublisher {
  /** Publishes every event it can; resolves with the ids of those it could not (to retry). */
  publish(events: readonly OutgoingEvent[]): Promise<ReadonlySet<string>>;
}

/** One line of events.jsonl, and the body POSTed to LIFESPAN_EVENTS_URL: the detail plus its `detail-type`. */
export function eventLine(event: OutgoingEvent): string {
  return JSON.stringify({ 'detail-type': event.detailType, ...event.detail });
}
