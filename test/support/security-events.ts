import { readFile } from 'node:fs/promises';
// Node's timer, not flows.ts's sleep: `npm run demo` imports this module and should not load vitest.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestServer } from './local-server.ts';

/** One line of events.jsonl: the EventBridge detail plus its `detail-type`. */
export type EventLine = Record<string, unknown> & { readonly 'detail-type': string; readonly id: string; readonly time: string; readonly stage: string };

/** Every event the server's events function has published so far, in order. */
export async function publishedEvents(service: Pick<TestServer, 'eventsFile'>): Promise<EventLine[]> {
  let text: string;
  try {
    text = await readFile(service.eventsFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EventLine);
}

/**
 * The events matching `match`, once at least `count` of them are in events.jsonl (the stream
 * poller publishes within a second or so); fails after `timeoutMs`.
 */
export async function eventsMatching(
  service: Pick<TestServer, 'eventsFile'>,
  match: (event: EventLine) => boolean,
  count = 1,
  timeoutMs = 15_000,
): Promise<EventLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await publishedEvents(service)).filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`expected ${count} matching event(s) in ${service.eventsFile}, found ${found.length}`);
    await sleep(100);
  }
}

/** The one event of `detailType` whose fields include `fields`. */
export async function eventLike(service: Pick<TestServer, 'eventsFile'>, detailType: string, fields: Record<string, unknown>): Promise<EventLine> {
  const [found] = await eventsMatching(service, (event) => event['detail-type'] === detailType && Object.entries(fields).every(([name, value]) => JSON.stringify(event[name]) === JSON.stringify(value)));
  return found!;
}
