import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectTokens, loginTokens, newClient, refresh, uniqueSubject } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { eventLike, publishedEvents } from '../support/security-events.ts';
import { output } from '../support/output.ts';

let service: TestServer;
beforeAll(async () => { service = await startTestServer(); });
afterAll(async () => { await service.server.close(); });

it('smoke', async () => {
  const web = await newClient(service);
  const subject = uniqueSubject();
  const { tokens } = await loginTokens(service, web, { accept: { subject } });
  await expectTokens(await refresh(service, web, tokens.refresh_token!));
  expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
  const reuse = await eventLike(service, 'Refresh Token Reuse Detected', { subject });
  await eventLike(service, 'Refresh Token Family Revoked', { subject });
  console.log(JSON.stringify(await publishedEvents(service), null, 1));
  console.log(output.filter((l) => l.includes('error')).join('\n'));
  expect(reuse).toBeDefined();
});
