import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbRevocationMarkers } from '../../../functions/adapters/dynamodb/revocation-markers.ts';
import { TestClock } from '../../support/clock.ts';
import { freshTable } from '../../support/dynamodb.ts';

describe('DynamoDbRevocationMarkers', () => {
  async function setup() {
    const { client, tableName } = await freshTable();
    const clock = new TestClock();
    const markers = new DynamoDbRevocationMarkers({ client, tableName, clock });
    const stored = async (id: string) => {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `MARKER#user#${id}` }, sk: { S: 'MARKER' } }, ConsistentRead: true }));
      return { validAfter: Number(Item?.['valid_after']?.N), expiresAt: Number(Item?.['expires_at']?.N) };
    };
    return { markers, clock, stored };
  }

  it('moves only forward, and never shortens how long a marker is kept', async () => {
    const { markers, clock, stored } = await setup();
    const now = clock.seconds;
    await markers.write('user', 'alice', now, now + 2 * 31_536_000);
    // A later marker with a shorter retention (another policy) keeps the longer one.
    await markers.write('user', 'alice', now + 10, now + 31_536_000);
    expect(await stored('alice')).toEqual({ validAfter: now + 10, expiresAt: now + 2 * 31_536_000 });
    // A later one kept longer moves both.
    await markers.write('user', 'alice', now + 20, now + 3 * 31_536_000);
    expect(await stored('alice')).toEqual({ validAfter: now + 20, expiresAt: now + 3 * 31_536_000 });
    // An older write, late, changes nothing.
    await markers.write('user', 'alice', now + 5, now + 4 * 31_536_000);
    expect(await stored('alice')).toEqual({ validAfter: now + 20, expiresAt: now + 3 * 31_536_000 });
    expect(await markers.validAfter('alice', 'any-client')).toBe(now + 20);
  });

  it('answers each kind from one read: tokens (user, client, global) and sessions (also the sessions marker)', async () => {
    const { markers, clock } = await setup();
    const now = clock.seconds;
    const keep = now + 86_400;
    expect(await markers.times('bob', 'web')).toEqual({ tokens: 0, sessions: 0 });
    await markers.write('sessions', 'bob', now + 1, keep);
    expect(await markers.times('bob', 'web')).toEqual({ tokens: 0, sessions: now + 1 });
    await markers.write('client', 'web', now + 2, keep);
    expect(await markers.times('bob', 'web')).toEqual({ tokens: now + 2, sessions: now + 2 });
    expect(await markers.times('bob', 'mobile')).toEqual({ tokens: 0, sessions: now + 1 });
    await markers.write('global', '*', now + 3, keep);
    expect(await markers.times('carol', undefined)).toEqual({ tokens: now + 3, sessions: now + 3 });
  });

  it('treats an expired marker as absent (TTL deletes late)', async () => {
    const { markers, clock } = await setup();
    await markers.write('user', 'dave', clock.seconds, clock.seconds + 10);
    expect(await markers.validAfter('dave', 'web')).toBe(clock.seconds);
    clock.advance(11);
    expect(await markers.validAfter('dave', 'web')).toBe(0);
  });
});
