import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbFamilyStore } from '../../../functions/adapters/dynamodb/family-store.ts';
import { familyProof } from '../../../functions/oauth/dpop/binding.ts';
import type { DpopProof } from '../../../functions/oauth/dpop/proof.ts';
import { InvalidDpopProof } from '../../../functions/oauth/errors.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import { newFamily } from '../../../functions/oauth/tokens/new-family.ts';
import { TestClock } from '../../support/clock.ts';
import { freshTable } from '../../support/dynamodb.ts';

const proofOf = (jti: string, until: number): DpopProof => ({ jkt: 'k'.repeat(43), jti, iat: until - 90, replayableUntil: until });

describe('a family records the DPoP proofs of its recent uses (RFC 9449 §11.1)', () => {
  async function setup(legacy: boolean) {
    const { client, tableName } = await freshTable();
    const store = new DynamoDbFamilyStore(client, tableName);
    const now = new TestClock().seconds;
    const { family, expiresAt, secret } = newFamily({
      clientId: 'spa',
      grant: { subject: 'alice', clientId: 'spa', scope: ['openid'], audience: 'api', authTime: now, jkt: 'k'.repeat(43) },
      familyId: `fam-${crypto.randomUUID()}`,
      now,
      idleTtl: 3600,
      absoluteTtl: 86_400,
      rotation: false,
    });
    await store.create(family, expiresAt);
    if (legacy) {
      // A family stored before proofs were recorded.
      await client.send(new UpdateItemCommand({ TableName: tableName, Key: { pk: { S: `FAMILY#${family.familyId}` }, sk: { S: 'FAMILY' } }, UpdateExpression: 'REMOVE proofs' }));
    }
    const hash = hashSecret(secret);
    const use = async (jti: string, at: number) => {
      const stored = (await store.get(family.familyId))!;
      const record = familyProof(stored.proofs, proofOf(jti, at + 90), at);
      return store.rotate({
        familyId: family.familyId, clientId: 'spa', generation: 0, absoluteExpiresAt: family.absoluteExpiresAt,
        presentedHash: hash, nextHash: hash, now: at, idleCutoff: at - 3600, expiresAt: at + 3600, rotate: false,
        rotationId: crypto.randomUUID(), ...(record && { proof: record }),
      });
    };
    return { store, family, now, use };
  }

  it.each([false, true])('records each proof once and refuses it again while it could pass (family stored before DPoP: %s)', async (legacy) => {
    const { store, family, now, use } = await setup(legacy);
    expect((await use('p1', now)).outcome).toBe('rotated');
    expect((await use('p2', now + 1)).outcome).toBe('rotated');
    await expect(use('p1', now + 2)).rejects.toBeInstanceOf(InvalidDpopProof);
    expect(Object.keys((await store.get(family.familyId))!.proofs ?? {})).toHaveLength(2);
    // Past its time the record is dropped by the next write.
    expect((await use('p3', now + 200)).outcome).toBe('rotated');
    expect(Object.keys((await store.get(family.familyId))!.proofs ?? {})).toHaveLength(1);
  });

  it('the write itself refuses a proof recorded since the read (two identical requests at once)', async () => {
    const { store, family, now } = await setup(false);
    const stored = (await store.get(family.familyId))!;
    const record = familyProof(stored.proofs, proofOf('same', now + 90), now)!;
    expect(await store.recordProof(family.familyId, record)).toBe(true);
    expect(await store.recordProof(family.familyId, record)).toBe(false);
  });

  it('keeps at most a bounded number of proofs', async () => {
    const { store, family, now, use } = await setup(false);
    for (let index = 0; index < 30; index += 1) await use(`p${index}`, now + index);
    expect(Object.keys((await store.get(family.familyId))!.proofs ?? {}).length).toBeLessThanOrEqual(24);
  });
});
