import { appendFile } from 'node:fs/promises';
import { eventLine, type EventPublisher, type OutgoingEvent } from '../../events/publisher.ts';
import type { Logger } from '../../observability/logger.ts';

/** How long a POST to LIFESPAN_EVENTS_URL may take before it is given up on. */
export const EVENTS_URL_TIMEOUT_MS = 2_000;

export interface FileEventPublisherOptions {
  /** `<LIFESPAN_DATA_DIR>/events.jsonl`: one JSON line per event. */
  readonly file: string;
  /** Where each event is also POSTed (LIFESPAN_EVENTS_URL). @default none */
  readonly url?: string | undefined;
  readonly logger: Logger;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Local mode's bus: each event appended to `events.jsonl` as one JSON line (the EventBridge
 * `detail` plus `detail-type`), and with a URL also POSTed there as that JSON. The file is the
 * record: an append that fails fails its events (the stream poller delivers them again). The POST
 * is a convenience for a local receiver: tried once, with a timeout; a failure is logged, not retried.
 */
export class FileEventPublisher implements EventPublisher {
  readonly #options: FileEventPublisherOptions;

  constructor(options: FileEventPublisherOptions) {
    if (typeof options?.file !== 'string' || options.file === '') throw new TypeError('FileEventPublisher: file is required');
    this.#options = options;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<ReadonlySet<string>> {
    const lines = events.map(eventLine);
    try {
      await appendFile(this.#options.file, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
    } catch (error) {
      this.#options.logger.error('security_event_publish_failed', { file: this.#options.file, error: error instanceof Error ? error.message : String(error) });
      return new Set(events.map(({ detail }) => detail.id));
    }
    const { url } = this.#options;
    if (url !== undefined) await Promise.all(lines.map((line, index) => this.#post(url, line, events[index]!.detail.id)));
    return new Set();
  }

  async #post(url: string, body: string, id: string): Promise<void> {
    try {
      const response = await (this.#options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(EVENTS_URL_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      this.#options.logger.warn('security_event_post_failed', { event_id: id, url, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
