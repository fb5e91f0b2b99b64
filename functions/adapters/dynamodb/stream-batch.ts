import type { EventPublisher, OutgoingEvent } from '../../events/publisher.ts';
import { DETAIL_TYPES, eventDetail, type SecurityEvent } from '../../events/security-event.ts';
import { epochSeconds, type Clock } from '../../oauth/clock.ts';
import type { RotationHistory } from '../../oauth/tokens/family.ts';
import type { Logger } from '../../observability/logger.ts';
import { METRICS, type Metrics } from '../../observability/metrics.ts';
import { firstFailure, rotationOutcomes, type BatchResponse, type StreamRecord } from './family-stream.ts';
import type { PublishedEvents } from './published-events.ts';
import { eventsOf } from './stream-events.ts';

/** How long the events function remembers an event it published: past the stream's 24 hours (and Lambda's day of retries). */
export const PUBLISHED_RETENTION_SECONDS = 2 * 86_400;

export interface StreamBatchDependencies {
  readonly stage: string;
  readonly clock: Clock;
  /** The rotation history; absent when it is turned off (the stack's rotationHistory prop). */
  readonly history?: Pick<RotationHistory, 'record'> | undefined;
  readonly published: PublishedEvents;
  readonly publisher: EventPublisher;
  /** Signs an event's Security Event Token, when they are turned on. */
  readonly sign?: ((event: SecurityEvent) => Promise<string>) | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * One batch of the table's stream: each rotation into the history, each security event to the
 * publisher, at least once. Events already published (a redelivered batch) are skipped by their
 * id; the rest are published, then remembered. A record whose rotation or any of whose events
 * failed is reported, and the batch is delivered again from it.
 */
export async function handleStreamBatch(records: readonly StreamRecord[], deps: StreamBatchDependencies): Promise<BatchResponse> {
  const now = epochSeconds(deps.clock);
  const rotations = deps.history
    ? await rotationOutcomes(records, { history: deps.history, logger: deps.logger, metrics: deps.metrics })
    : records.map(() => true);
  const events = records.map((record) => eventsOf(record, deps.stage, now));
  const failedEvents = await publishAll(events.flat(), deps, now);
  const outcomes = records.map((_, index) => rotations[index] === true && (events[index] ?? []).every((event) => !failedEvents.has(event.id)));
  return firstFailure(records, outcomes);
}

/** Publishes the events not yet published; the ids of those that failed. */
async function publishAll(events: readonly SecurityEvent[], deps: StreamBatchDependencies, now: number): Promise<ReadonlySet<string>> {
  if (events.length === 0) return new Set();
  const failed = new Set<string>();
  const fail = (event: SecurityEvent, step: string, error: unknown) => {
    failed.add(event.id);
    deps.logger.error('security_event_failed', { type: event.type, event_id: event.id, step, error: error instanceof Error ? error.name : String(error) });
  };
  let seen: ReadonlySet<string>;
  try {
    seen = await deps.published.seen(events.map((event) => event.id), now);
  } catch (error) {
    for (const event of events) fail(event, 'read', error);
    deps.metrics.count(METRICS.securityEventFailures, {}, failed.size);
    return failed;
  }
  // One event per id, even if two records showed it.
  const pending = [...new Map(events.filter((event) => !seen.has(event.id)).map((event) => [event.id, event])).values()];
  const outgoing: OutgoingEvent[] = [];
  await Promise.all(
    pending.map(async (event) => {
      try {
        const detail = eventDetail(event, deps.stage);
        outgoing.push({ detailType: DETAIL_TYPES[event.type], detail: deps.sign ? { ...detail, set: await deps.sign(event) } : detail });
      } catch (error) {
        fail(event, 'sign', error);
      }
    }),
  );
  let refused: ReadonlySet<string>;
  try {
    refused = outgoing.length > 0 ? await deps.publisher.publish(outgoing) : new Set<string>();
  } catch {
    refused = new Set(outgoing.map(({ detail }) => detail.id));
  }
  const accepted = outgoing.map(({ detail }) => detail.id).filter((id) => !refused.has(id));
  for (const event of pending) if (refused.has(event.id)) fail(event, 'publish', new Error('not accepted'));
  try {
    await deps.published.remember(accepted, now + PUBLISHED_RETENTION_SECONDS);
  } catch (error) {
    // Published but not remembered: delivered again, and published again (at least once).
    for (const event of pending) if (accepted.includes(event.id)) fail(event, 'remember', error);
  }
  if (accepted.length > 0) deps.metrics.count(METRICS.securityEventsPublished, {}, accepted.length);
  if (failed.size > 0) deps.metrics.count(METRICS.securityEventFailures, {}, failed.size);
  return failed;
}
