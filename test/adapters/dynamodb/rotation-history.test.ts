import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { recordRotations, rotationOf, type StreamRecord } from '../../../functions/adapters/dynamodb/family-stream.ts';
import { DynamoDbRotationHistory } from '../../../functions/adapters/dynamodb/rotation-history.ts';
import { startStreamPoller, type StreamPoller } from '../../../functions/local/stream-poller.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';
import { METRICS, memoryMetrics, type Metrics } from '../../../functions/observability/metrics.ts';
import { decodeRefreshToken } from '../../../functions/oauth/tokens/refresh-token.ts';
import type { Rotation, RotationHistory } from '../../../functions/oauth/tokens/family.ts';
import { freshTable } from '../../support/dynamodb.ts';
import { grantFixture } from '../../support/grant-fixture.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

const image = (values: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'number' ? { N: String(value) } : { S: value }]));

function familyChange(sequence: string, familyId: string, before: number, after: number, eventName = 'MODIFY', sk = 'FAMILY'): StreamRecord {
  const common = { family_id: familyId, absolute_expires_at: 5_000 };
  return {
    eventName,
    dynamodb: {
      SequenceNumber: sequence,
      Keys: image({ pk: `FAMILY#${familyId}`, sk }),
      OldImage: image({ ...common, generation: before, rotated_at: 1_000 + before }),
      NewImage: image({ ...common, generation: after, rotated_at: 1_000 + after }),
    },
  };
}

describe('rotation history store (DynamoDB Local)', () => {
  it('keeps each rotation once, oldest first, across pages, with the family absolute expiry as TTL', async () => {
    const { client, tableName } = await freshTable();
    const history = new DynamoDbRotationHistory(client, tableName);
    const rotation = (generation: number): Rotation => ({ familyId: 'family-a', generation, at: 100 + generation, keepUntil: 9_000 });
    for (const generation of [3, 1, 12, 2, 1, 3]) await history.record(rotation(generation));
    await history.record({ familyId: 'family-b', generation: 1, at: 1, keepUntil: 9_000 });
    const expected = [1, 2, 3, 12].map((generation) => ({ generation, at: 100 + generation }));
    expect(await history.rotations('family-a')).toEqual(expected);
    expect(await history.rotations('family-a', 1)).toEqual(expected);
    expect(await history.rotations('family-c')).toEqual([]);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'FAMILY#family-a' }, sk: { S: 'ROT#000000000012' } } }),
    );
    expect(Item?.['expires_at']).toEqual({ N: '9000' });
  });
});

describe('rotations from stream records', () => {
  it('sees a rotation only in a family item whose generation went up', () => {
    expect(rotationOf(familyChange('1', 'f', 4, 5))).toEqual({ familyId: 'f', generation: 5, at: 1_005, keepUntil: 5_000 });
    expect(rotationOf(familyChange('1', 'f', 5, 5))).toBeUndefined(); // a refresh with rotation off, a revocation
    expect(rotationOf(familyChange('1', 'f', 4, 5, 'INSERT'))).toBeUndefined();
    expect(rotationOf(familyChange('1', 'f', 4, 5, 'REMOVE'))).toBeUndefined();
    expect(rotationOf(familyChange('1', 'f', 4, 5, 'MODIFY', 'ROT#000000000005'))).toBeUndefined();
    expect(rotationOf({ eventName: 'MODIFY', dynamodb: { Keys: image({ pk: 'SESSION#x', sk: 'FAMILY' }) } })).toBeUndefined();
    expect(rotationOf({ eventName: 'MODIFY' })).toBeUndefined();
  });

  it('reports the first record whose rotation could not be written, logs each failed one and counts them', async () => {
    const written: number[] = [];
    const logger = memoryLogger();
    const metrics = memoryMetrics();
    const history = {
      record: async (rotation: Rotation) => {
        if (rotation.generation === 3 || rotation.generation === 5) throw new Error('throttled');
        written.push(rotation.generation);
      },
    };
    const records = [familyChange('10', 'f', 1, 2), familyChange('11', 'f', 2, 2), familyChange('12', 'f', 2, 3), familyChange('13', 'f', 3, 4), familyChange('14', 'f', 4, 5)];
    expect(await recordRotations(records, { history, logger, metrics })).toEqual({ batchItemFailures: [{ itemIdentifier: '12' }] });
    expect(written.sort()).toEqual([2, 4]);
    expect(logger.lines.map(({ event, fields }) => [event, fields['generation']])).toEqual([
      ['rotation_history_failed', 3],
      ['rotation_history_failed', 5],
    ]);
    // Stage-only, as the alarm watches it: both failed records, in one data point.
    expect(metrics.points).toEqual([{ name: METRICS.rotationHistoryFailures, dimensions: {}, value: 2 }]);
    expect(await recordRotations(records.slice(0, 2), { history, logger, metrics })).toEqual({ batchItemFailures: [] });
    expect(metrics.points).toHaveLength(1);
  });

  it('counts a failure it cannot report (no sequence number) before it fails the whole batch', async () => {
    const metrics = memoryMetrics();
    const history = { record: async () => Promise.reject(new Error('throttled')) };
    const record = familyChange('1', 'f', 1, 2);
    const withoutSequence: StreamRecord = { ...record, dynamodb: { ...record.dynamodb, SequenceNumber: undefined } };
    await expect(recordRotations([withoutSequence], { history, logger: memoryLogger(), metrics })).rejects.toThrow(/no sequence number/);
    expect(metrics.points).toEqual([{ name: METRICS.rotationHistoryFailures, dimensions: {}, value: 1 }]);
  });
});

describe('the local stream poller (what the event source mapping does in AWS)', () => {
  let poller: StreamPoller | undefined;
  /** The table's stream fed to recordRotations, as the local server does. */
  const pollInto = (tableName: string, history: Pick<RotationHistory, 'record'>, metrics: Metrics = memoryMetrics()) =>
    startStreamPoller({
      endpoint: inject('dynamoDbEndpoint'),
      tableName,
      handler: (event) => recordRotations(event.Records, { history, logger: memoryLogger(), metrics }),
      logger: memoryLogger(),
      intervalMs: 50,
    });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });

  it('records every rotation of real refreshes, and none for a refresh without rotation or a revocation', async () => {
    const fixture = await grantFixture();
    const history = new DynamoDbRotationHistory(fixture.dynamo, fixture.tableName);
    poller = pollInto(fixture.tableName, history);
    const first = await fixture.issue();
    const familyId = decodeRefreshToken(first.refresh_token!)!.familyId;
    const times: number[] = [];
    let token = first.refresh_token!;
    for (let i = 0; i < 3; i += 1) {
      fixture.clock.advance(60);
      times.push(fixture.clock.seconds);
      token = (await fixture.refresh(token)).refresh_token!;
    }
    fixture.parameters.set('refresh_token_rotation', 'false');
    fixture.clock.advance(60);
    await fixture.refresh(token);
    await expect(fixture.refresh(first.refresh_token!)).rejects.toThrow(); // reuse: revokes the family
    const recorded = await eventually(() => history.rotations(familyId), (rotations) => rotations.length >= 3);
    expect(recorded).toEqual(times.map((at, index) => ({ generation: index + 1, at })));
    await sleep(500);
    expect(await history.rotations(familyId)).toEqual(recorded);
  });

  it('delivers a batch again from the record that failed, as Lambda does with a partial batch response', async () => {
    const fixture = await grantFixture();
    const store = new DynamoDbRotationHistory(fixture.dynamo, fixture.tableName);
    const attempts: number[] = [];
    let failures = 0;
    const history = {
      record: async (rotation: Rotation) => {
        attempts.push(rotation.generation);
        if (rotation.generation === 2 && failures < 2) {
          failures += 1;
          throw new Error('throttled');
        }
        await store.record(rotation);
      },
    };
    const first = await fixture.issue();
    const familyId = decodeRefreshToken(first.refresh_token!)!.familyId;
    let token = first.refresh_token!;
    for (let i = 0; i < 3; i += 1) {
      fixture.clock.advance(60);
      token = (await fixture.refresh(token)).refresh_token!;
    }
    const metrics = memoryMetrics();
    poller = pollInto(fixture.tableName, history, metrics);
    const recorded = await eventually(() => store.rotations(familyId), (rotations) => rotations.length >= 3);
    expect(recorded.map(({ generation }) => generation)).toEqual([1, 2, 3]);
    expect(failures).toBe(2);
    expect(metrics.points).toEqual([
      { name: METRICS.rotationHistoryFailures, dimensions: {}, value: 1 },
      { name: METRICS.rotationHistoryFailures, dimensions: {}, value: 1 },
    ]);
    expect(attempts.filter((generation) => generation === 2)).toHaveLength(3);
    expect(attempts.filter((generation) => generation === 1)).toHaveLength(1);
  });
});
