import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventBusPublisher } from '../../../functions/adapters/eventbridge/event-bus-publisher.ts';
import type { OutgoingEvent } from '../../../functions/events/publisher.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';

const event = (index: number): OutgoingEvent => ({
  detailType: 'Refresh Token Reuse Detected',
  detail: { id: `id-${index}`, time: '2026-01-01T00:00:00.000Z', stage: 'test', subject: 'alice', family_id: `f${index}` },
});

/** An EventBridge client that answers each PutEvents as `answer` says (no network). */
function fakeClient(answer: (command: PutEventsCommand) => Promise<Partial<PutEventsCommandOutput>>) {
  const calls: PutEventsCommand[] = [];
  return {
    calls,
    send: async (command: PutEventsCommand) => {
      calls.push(command);
      return answer(command);
    },
  };
}

describe('the EventBridge publisher', () => {
  it('sends source lifespan, the detail-type and the detail as JSON to the bus, at most 10 entries a call', async () => {
    const client = fakeClient(async (command) => ({ Entries: (command.input.Entries ?? []).map((_, index) => ({ EventId: `eb-${index}` })) }));
    const publisher = new EventBusPublisher({ client: client as never, bus: 'arn:aws:events:eu-west-1:111122223333:event-bus/lifespan-test', logger: memoryLogger() });
    const events = Array.from({ length: 23 }, (_, index) => event(index));
    expect(await publisher.publish(events)).toEqual(new Set());
    expect(client.calls.map((call) => call.input.Entries?.length)).toEqual([10, 10, 3]);
    expect(client.calls[0]!.input.Entries![0]).toEqual({
      EventBusName: 'arn:aws:events:eu-west-1:111122223333:event-bus/lifespan-test',
      Source: 'lifespan',
      DetailType: 'Refresh Token Reuse Detected',
      Detail: JSON.stringify(events[0]!.detail),
      Time: new Date('2026-01-01T00:00:00.000Z'),
    });
  });

  it('fails only the entries EventBridge refused, and every entry of a call that failed', async () => {
    let call = 0;
    const client = fakeClient(async (command) => {
      call += 1;
      if (call === 2) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return { FailedEntryCount: 1, Entries: (command.input.Entries ?? []).map((_, index) => (index === 1 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: 'ok' })) };
    });
    const logger = memoryLogger();
    const publisher = new EventBusPublisher({ client: client as never, bus: 'lifespan-test', logger });
    const failed = await publisher.publish(Array.from({ length: 12 }, (_, index) => event(index)));
    expect([...failed].sort()).toEqual(['id-1', 'id-10', 'id-11'].sort());
    expect(logger.lines.map((line) => line.event).sort()).toEqual(['security_event_publish_failed', 'security_event_refused']);
    expect(JSON.stringify(logger.lines)).not.toContain('alice');
  });
});
