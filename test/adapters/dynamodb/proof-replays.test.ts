import { describe, expect, it } from 'vitest';
import { DynamoDbProofReplays } from '../../../functions/adapters/dynamodb/proof-replays.ts';
import { TestClock } from '../../support/clock.ts';
import { freshTable } from '../../support/dynamodb.ts';

describe('DynamoDbProofReplays', () => {
  it('accepts a proof once, refuses it again until it expires, and keeps proofs of other keys apart', async () => {
    const { client, tableName } = await freshTable();
    const replays = new DynamoDbProofReplays(client, tableName);
    const now = new TestClock().seconds;
    expect(await replays.firstUse('key-a', 'jti-1', now + 90, now)).toBe(true);
    expect(await replays.firstUse('key-a', 'jti-1', now + 90, now + 1)).toBe(false);
    expect(await replays.firstUse('key-b', 'jti-1', now + 90, now)).toBe(true);
    expect(await replays.firstUse('key-a', 'jti-2', now + 90, now)).toBe(true);
    // Past its TTL (not yet deleted by DynamoDB) the item counts as absent: the proof's iat check refuses it anyway.
    expect(await replays.firstUse('key-a', 'jti-1', now + 200, now + 91)).toBe(true);
  });

  it('lets exactly one of many concurrent uses of one proof through', async () => {
    const { client, tableName } = await freshTable();
    const replays = new DynamoDbProofReplays(client, tableName);
    const now = new TestClock().seconds;
    const results = await Promise.all(Array.from({ length: 12 }, () => replays.firstUse('k', 'same', now + 90, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
