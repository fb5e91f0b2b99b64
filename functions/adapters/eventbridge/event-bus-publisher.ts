import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, OutgoingEvent } from '../../events/publisher.ts';
import { EVENT_SOURCE } from '../../events/security-event.ts';
import type { Logger } from '../../observability/logger.ts';

/** PutEvents takes at most 10 entries per call. */
const ENTRIES_PER_CALL = 10;

export interface EventBusPublisherOptions {
  readonly client: Pick<EventBridgeClient, 'send'>;
  /** The bus's name or ARN (`lifespan-<stage>`, or the deployer's own bus). */
  readonly bus: string;
  readonly logger: Logger;
}

/**
 * Publishes to an EventBridge bus: `source: "lifespan"`, the event's `detail-type`, its fields as
 * `detail`, its time as the event's time. PutEvents answers per entry, so one refused entry
 * fails alone; a call that fails fails its entries (the stream delivers them again).
 */
export class EventBusPublisher implements EventPublisher {
  readonly #client: Pick<EventBridgeClient, 'send'>;
  readonly #bus: string;
  readonly #logger: Logger;

  constructor(options: EventBusPublisherOptions) {
    if (typeof options?.client?.send !== 'function') throw new TypeError('EventBusPublisher: client with send() is required');
    if (typeof options.bus !== 'string' || options.bus === '') throw new TypeError('EventBusPublisher: bus is required');
    this.#client = options.client;
    this.#bus = options.bus;
    this.#logger = options.logger;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<ReadonlySet<string>> {
    const failed = new Set<string>();
    const calls: Array<Promise<void>> = [];
    for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
      const chunk = events.slice(start, start + ENTRIES_PER_CALL);
      calls.push(this.#put(chunk, failed));
    }
    await Promise.all(calls);
    return failed;
  }

  async #put(chunk: readonly OutgoingEvent[], failed: Set<string>): Promise<void> {
    try {
      const { Entries = [] } = await this.#client.send(
        new PutEventsCommand({
          Entries: chunk.map(({ detailType, detail }) => ({
            EventBusName: this.#bus,
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            Time: new Date(detail.time),
          })),
        }),
      );
      chunk.forEach(({ detail }, index) => {
        const entry = Entries[index];
        if (entry === undefined || entry.ErrorCode !== undefined || entry.EventId === undefined) {
          failed.add(detail.id);
          this.#logger.error('security_event_refused', { event_id: detail.id, error: entry?.ErrorCode ?? 'no entry in the answer', message: entry?.ErrorMessage });
        }
      });
    } catch (error) {
      for (const { detail } of chunk) failed.add(detail.id);
      this.#logger.error('security_event_publish_failed', { events: chunk.length, error: error instanceof Error ? error.name : String(error) });
    }
  }
}
