import { GenerateMacCommand, NotFoundException, type GenerateMacCommandOutput } from '@aws-sdk/client-kms';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KmsSuccessorDeriver } from '../../../functions/adapters/kms/kms-successor-deriver.ts';

/** KMS GenerateMac over HMAC_256 keys: a real HMAC with key material the fake keeps. */
function fakeMacKms(keys: Record<string, Buffer>) {
  const calls: string[] = [];
  let failNext = false;
  return {
    calls,
    failOnce: () => {
      failNext = true;
    },
    async send(command: GenerateMacCommand): Promise<GenerateMacCommandOutput> {
      calls.push(command.input.KeyId!);
      if (failNext) {
        failNext = false;
        throw new Error('ThrottlingException');
      }
      const key = keys[command.input.KeyId!];
      if (!key) throw new NotFoundException({ $metadata: {}, message: 'key not found' });
      expect(command.input.MacAlgorithm).toBe('HMAC_SHA_256');
      return { $metadata: {}, Mac: createHmac('sha256', key).update(command.input.Message!).digest(), KeyId: command.input.KeyId };
    },
  };
}

describe('KmsSuccessorDeriver', () => {
  const keys = { 'key-a': randomBytes(32), 'key-b': randomBytes(32) };

  it('derives the same successors in every execution environment with the same KMS key', async () => {
    const one = new KmsSuccessorDeriver({ client: fakeMacKms(keys), keyId: 'key-a' });
    const two = new KmsSuccessorDeriver({ client: fakeMacKms(keys), keyId: 'key-a' });
    expect(await one.successor('fam', 3, 'secret')).toBe(await two.successor('fam', 3, 'secret'));
  });

  it('differs with another key, another family, generation or secret', async () => {
    const a = new KmsSuccessorDeriver({ client: fakeMacKms(keys), keyId: 'key-a' });
    const b = new KmsSuccessorDeriver({ client: fakeMacKms(keys), keyId: 'key-b' });
    const base = await a.successor('fam', 3, 'secret');
    expect(new Set([base, await b.successor('fam', 3, 'secret'), await a.successor('fam2', 3, 'secret'), await a.successor('fam', 4, 'secret'), await a.successor('fam', 3, 'secret2')]).size).toBe(5);
  });

  it('calls KMS once per environment, not per refresh, even when first used concurrently', async () => {
    const kms = fakeMacKms(keys);
    const deriver = new KmsSuccessorDeriver({ client: kms, keyId: 'key-a' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => deriver.successor('fam', i, 'secret')));
    await deriver.successor('fam', 99, 'secret');
    expect(kms.calls).toEqual(['key-a']);
  });

  it('does not keep a failure: the next call asks KMS again', async () => {
    const kms = fakeMacKms(keys);
    kms.failOnce();
    const deriver = new KmsSuccessorDeriver({ client: kms, keyId: 'key-a' });
    await expect(deriver.successor('fam', 0, 'secret')).rejects.toThrow('ThrottlingException');
    expect(typeof (await deriver.successor('fam', 0, 'secret'))).toBe('string');
    expect(kms.calls).toHaveLength(2);
  });
});
