import { randomUUID } from 'node:crypto';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { currentRequestContext } from '../observability/request-context.ts';
import { eventId, type EventFacts, type SecurityEvent, type SecurityEventType } from './security-event.ts';

/** An event that no change of a stored item shows (a rate limit tripped, a value rejected…), as the code that sees it records it. */
export interface RecordedEvent {
  readonly type: SecurityEventType;
  readonly facts: EventFacts;
  /**
   * At most one event per `key` until `until` (epoch seconds): a rate limit's key and window, a
   * rejected value and its day, a family's expiry. The key derives the event's id. Without it,
   * every call is an event of its own.
   */
  readonly once?: { readonly key: string; readonly until: number };
  /** Leave the current request's id out (work that runs behind requests, e.g. a configuration refresh). @default false */
  readonly outsideRequest?: boolean;
}

/**
 * Port: records events for the events function to publish (functions/handlers/events.ts reads
 * them from the table's stream, like every other event). Never rejects and never holds a request
 * long: a failure is logged and counted, and the request goes on.
 */
export interface SecurityEventRecorder {
  record(event: RecordedEvent): Promise<void>;
}

/** Port: where recorded events are kept until the events function publishes them (the table, `EVENT#<id>`). */
export interface EventOutbox {
  /** Keeps the event until `keepUntil`; false when an event with its id is kept already (recorded once). */
  put(event: SecurityEvent, keepUntil: number): Promise<boolean>;
}

/** An event happening now, with a fresh id and the current request's id (when in one). */
export function newEvent(type: SecurityEventType, facts: EventFacts, clock: Clock): SecurityEvent {
  const requestId = currentRequestContext()?.request_id;
  return { type, id: randomUUID(), time: epochSeconds(clock), facts: { ...facts, ...(requestId !== undefined && { request_id: requestId }) } };
}

/** How long a recorded event stays in the outbox at least: past the stream's 24 hours, so a redelivery still finds it. */
export const OUTBOX_RETENTION_SECONDS = 2 * 86_400;
/** The longest a request waits for its event to be recorded; past it the write goes on behind the request. */
export const RECORD_BUDGET_MS = 250;

export interface BoundedRecorderOptions {
  readonly outbox: EventOutbox;
  readonly stage: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: () => Metrics;
  /** @default RECORD_BUDGET_MS */
  readonly budgetMs?: number;
}

/**
 * The recorder of the functions that serve requests: one conditional put in the outbox, waited on
 * for {@link RECORD_BUDGET_MS} at most. An event recorded `once` is remembered in this execution
 * environment until its `until`, so a limit that stays tripped costs no further write here.
 */
export function boundedRecorder(options: BoundedRecorderOptions): SecurityEventRecorder {
  const budgetMs = options.budgetMs ?? RECORD_BUDGET_MS;
  const recorded = new Map<string, number>();
  const forgetPast = (now: number) => {
    for (const [id, until] of recorded) if (until <= now) recorded.delete(id);
  };
  return {
    record(event) {
      const now = epochSeconds(options.clock);
      const base = newEvent(event.type, event.facts, options.clock);
      const built: SecurityEvent = {
        ...base,
        id: event.once ? eventId(options.stage, `once\n${event.type}\n${event.once.key}`) : base.id,
        facts: event.outsideRequest ? event.facts : base.facts,
      };
      if (recorded.has(built.id)) return Promise.resolve();
      const keepUntil = Math.max(now + OUTBOX_RETENTION_SECONDS, event.once?.until ?? 0);
      const work = options.outbox.put(built, keepUntil).then(
        () => {
          if (event.once) {
            if (recorded.size > 1_000) forgetPast(now);
            recorded.set(built.id, event.once.until);
          }
        },
        (error: unknown) => {
          options.logger.error('security_event_failed', { type: event.type, event_id: built.id, error: error instanceof Error ? error.name : String(error) });
          options.metrics().count('SecurityEventFailures');
        },
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, budgetMs);
        timer.unref?.();
      });
      return Promise.race([work, bound]).finally(() => clearTimeout(timer));
    },
  };
}
