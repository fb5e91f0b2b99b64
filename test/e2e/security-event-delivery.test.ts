import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StreamRecord } from '../../functions/adapters/dynamodb/family-stream.ts';
import { createHandler } from '../../functions/handlers/events-handler.ts';
import type { EventPublisher, OutgoingEvent } from '../../functions/events/publisher.ts';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import type { Env } from '../../functions/runtime/environment.ts';
import { localDynamoClient } from '../support/dynamodb.ts';
import { adminJson, expectTokens, loginTokens, newClient, refresh, sleep, uniqueSubject, userinfoRequest, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { collectLines, records } from '../support/output.ts';
import { eventLike, eventsMatching, publishedEvents, type EventLine } from '../support/security-events.ts';

/** Every record of a table's stream so far, as the Streams API gives them (what the poller handed the events function). */
async function streamRecords(tableName: string): Promise<StreamRecord[]> {
  const endpoint = inject('dynamoDbEndpoint');
  const config = { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const streams = new DynamoDBStreamsClient(config);
  try {
    const arn = (await localDynamoClient(endpoint).send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const all: StreamRecord[] = [];
    for (const { ShardId } of StreamDescription?.Shards ?? []) {
      let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (let page = 0; iterator !== undefined && page < 50; page += 1) {
        const output = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        all.push(...((output.Records ?? []) as StreamRecord[]));
        if ((output.Records ?? []).length === 0) break;
        iterator = output.NextShardIterator;
      }
    }
    return all;
  } finally {
    streams.destroy();
  }
}

/** A publisher that keeps what it is given (and refuses what `refuse` says). */
function keepingPublisher(refuse: (event: OutgoingEvent) => boolean = () => false): EventPublisher & { published: OutgoingEvent[] } {
  const published: OutgoingEvent[] = [];
  return {
    published,
    async publish(events) {
      const refused = new Set<string>();
      for (const event of events) {
        if (refuse(event)) refused.add(event.detail.id);
        else published.push(event);
      }
      return refused;
    },
  };
}

describe('delivery of security events', () => {
  let service: TestServer;
  let web: TestClient;
  beforeAll(async () => {
    service = await startTestServer();
    web = await newClient(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('a redelivered stream batch publishes nothing twice: the same records give the same event ids, already published', async () => {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, web, { accept: { subject } });
    await expectTokens(await refresh(service, web, tokens.refresh_token!));
    expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
    expect((await adminJson(service, `/admin/users/${subject}/events`, { type: 'compromised' })).status).toBe(200);
    await eventLike(service, 'SSO Session Ended', { subject });
    await sleep(500);
    const before = await readFile(service.eventsFile, 'utf8');
    const published = await publishedEvents(service);
    expect(published.filter((event) => event['subject'] === subject).map((event) => event['detail-type']).sort()).toEqual(
      ['Bulk Revocation', 'Login Accepted', 'Refresh Token Family Revoked', 'Refresh Token Reuse Detected', 'SSO Session Ended', 'User Event Received'].sort(),
    );

    const batch = await streamRecords(service.tableName);
    expect(batch.length).toBeGreaterThan(5);
    // The events function again (another execution environment), the same records, twice.
    const again = createHandler({ env: service.environment as unknown as Env, clock: systemClock, write: collectLines });
    for (let delivery = 0; delivery < 2; delivery += 1) expect(await again({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(await readFile(service.eventsFile, 'utf8')).toBe(before);
    // With a publisher that keeps what it gets: it gets nothing, every event is known by its id.
    const publisher = keepingPublisher();
    const third = createHandler({ env: service.environment as unknown as Env, clock: systemClock, write: collectLines, events: publisher });
    expect(await third({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(publisher.published).toEqual([]);
  });

  it('a record whose event was not accepted is reported, and the batch delivered again from it publishes that event once and the others not again', async () => {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, web, { accept: { subject } });
    await expectTokens(await refresh(service, web, tokens.refresh_token!));
    expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
    expect((await adminJson(service, `/admin/users/${subject}/events`, { type: 'mfa_changed' })).status).toBe(200);
    await eventLike(service, 'User Event Received', { subject });
    // The same records, to a fresh table's worth of "published" state: the events function of a
    // second server that has published nothing yet, with a publisher that refuses the reuse event once.
    const other = await startTestServer();
    try {
      const batch = (await streamRecords(service.tableName)).filter((record) => JSON.stringify(record).includes(subject));
      expect(batch.length).toBeGreaterThanOrEqual(4);
      let refusals = 0;
      const publisher = keepingPublisher((event) => event.detailType === 'Refresh Token Reuse Detected' && refusals++ === 0);
      const handler = createHandler({ env: other.environment as unknown as Env, clock: systemClock, write: collectLines, events: publisher });
      const first = await handler({ Records: batch });
      const failedAt = batch.findIndex((record) => record.dynamodb?.SequenceNumber === first.batchItemFailures[0]?.itemIdentifier);
      expect(failedAt).toBeGreaterThanOrEqual(0);
      expect(JSON.stringify(batch[failedAt])).toContain('reuse_detected_at');
      expect(publisher.published.map((event) => event.detailType)).not.toContain('Refresh Token Reuse Detected');
      const publishedFirst = publisher.published.length;
      expect(publishedFirst).toBeGreaterThan(0);
      // As Lambda does: the batch again from the failed record.
      expect(await handler({ Records: batch.slice(failedAt) })).toEqual({ batchItemFailures: [] });
      const types = publisher.published.map((event) => event.detailType);
      expect(types.filter((type) => type === 'Refresh Token Reuse Detected')).toHaveLength(1);
      const ids = publisher.published.map((event) => event.detail.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(records().some((line) => line['event'] === 'security_event_failed' && line['step'] === 'publish')).toBe(true);
    } finally {
      await other.server.close();
    }
  });
});

describe('LIFESPAN_EVENTS_URL', () => {
  it('POSTs each event there as the JSON of its events.jsonl line; a receiver that is down loses nothing from the file', async () => {
    const received: string[] = [];
    const receiver = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        expect(request.method).toBe('POST');
        expect(request.headers['content-type']).toBe('application/json');
        received.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const service = await startTestServer({ eventsUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events` });
    const down = await startTestServer({ eventsUrl: `http://127.0.0.1:${await freePort()}/events` });
    try {
      const client = await newClient(service, { client_name: 'posted' });
      await eventLike(service, 'Client Registered', { client_id: client.client_id });
      const lines = (await readFile(service.eventsFile, 'utf8')).split('\n').filter((line) => line !== '');
      for (let i = 0; i < 50 && received.length < lines.length; i += 1) await sleep(100);
      expect(received.sort()).toEqual(lines.sort());

      const lost = await newClient(down, { client_name: 'not posted' });
      await eventLike(down, 'Client Registered', { client_id: lost.client_id });
      await sleep(1_000);
      expect((await publishedEvents(down)).filter((event) => event['client_id'] === lost.client_id)).toHaveLength(1);
      expect(records().some((line) => line['event'] === 'security_event_post_failed')).toBe(true);
    } finally {
      await Promise.all([service.server.close(), down.server.close()]);
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('Security Event Tokens (securityEventTokens on)', () => {
  let service: TestServer;
  let web: TestClient;
  beforeAll(async () => {
    service = await startTestServer({ securityEventTokens: true, algorithm: 'ES256' });
    web = await newClient(service);
  });
  afterAll(async () => {
    await service.server.close();
  });

  const verify = (event: EventLine) =>
    jwtVerify(String(event['set']), createRemoteJWKSet(new URL(`${service.url}/jwks.json`)), { issuer: service.url, typ: 'secevent+jwt', algorithms: ['ES256'] });

  it('puts in each event a SET signed with the service key, verifiable against the JWKS, with RFC 8417 claims and the CAEP event', async () => {
    const subject = uniqueSubject();
    const { tokens } = await loginTokens(service, web, { accept: { subject } });
    await expectTokens(await refresh(service, web, tokens.refresh_token!));
    expect((await refresh(service, web, tokens.refresh_token!)).status).toBe(400);
    const revoked = await eventLike(service, 'Refresh Token Family Revoked', { subject });
    const { payload, protectedHeader } = await verify(revoked);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'secevent+jwt', kid: expect.any(String) });
    expect(payload).toEqual({
      iss: service.url,
      iat: expect.any(Number),
      jti: revoked.id,
      txn: revoked['request_id'],
      sub_id: {
        format: 'complex',
        user: { format: 'iss_sub', iss: service.url, sub: subject },
        session: { format: 'opaque', id: revoked['family_id'] },
        application: { format: 'opaque', id: web.client_id },
      },
      events: {
        'https://schemas.openid.net/secevent/caep/event-type/session-revoked': {
          event_timestamp: Date.parse(revoked.time) / 1000,
          initiating_entity: 'policy',
          reason_admin: { en: 'reuse' },
        },
      },
    });
    // SSF: never sub or exp, so a SET is not taken for another kind of JWT.
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBeUndefined();
    expect(Math.abs(Number(payload.iat) - Date.now() / 1000)).toBeLessThan(120);
  });

  it('signs every event, with its CAEP / RISC type or a Lifespan one under the issuer; a changed SET does not verify; a SET is no access token', async () => {
    const subject = uniqueSubject();
    expect((await adminJson(service, `/admin/users/${subject}/events`, { type: 'password_changed' })).status).toBe(200);
    const received = await eventLike(service, 'User Event Received', { subject });
    const { payload } = await verify(received);
    expect(payload['events']).toEqual({
      'https://schemas.openid.net/secevent/caep/event-type/credential-change': {
        credential_type: 'password',
        change_type: 'update',
        event_timestamp: Date.parse(received.time) / 1000,
        initiating_entity: 'system',
        reason_admin: { en: 'password_changed' },
      },
    });
    const [reuse] = await eventsMatching(service, (event) => event['detail-type'] === 'Refresh Token Reuse Detected');
    expect(Object.keys((await verify(reuse!)).payload['events'] as object)).toEqual([`${service.url}/secevent/event-type/refresh-token-reuse-detected`]);
    for (const event of await publishedEvents(service)) {
      expect(event['set'], event['detail-type']).toEqual(expect.any(String));
      expect((await verify(event)).payload.jti).toBe(event.id);
    }

    const [header, body, signature] = String(received['set']).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), sub_id: { format: 'opaque', id: 'someone-else' } })).toString('base64url');
    await expect(compactVerify(`${header}.${forged}.${signature}`, createRemoteJWKSet(new URL(`${service.url}/jwks.json`)))).rejects.toThrow();
    expect(decodeProtectedHeader(String(received['set'])).typ).toBe('secevent+jwt');
    expect((await userinfoRequest(service, String(received['set']))).status).toBe(401);
  });
});
