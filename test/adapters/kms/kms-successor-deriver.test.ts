import { GenerateMacCommand, NotFoundException, type GenerateMacCommandOutput } from '@aws-sdk/client-kms';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KmsSuccessorDeriver, KmsUserCodeKeys } from '../../../functions/adapters/kms/kms-successor-deriver.ts';
import { HmacSuccessorDeriver, HmacUserCodeKeys } from '../../../functions/adapters/local/local-successor-deriver.ts';

/** KMS GenerateMac over HMAC_256 keys: a real HMAC with key material the fake keeps. */
function fakeMacKms(keys: Record<string, Buffer>) {
  const calls: string[] = [];
  const messages: string[] = [];
  let failNext = false;
  return {
    calls,
    messages,
    failOnce: () => {
      failNext = true;
    },
    async send(command: GenerateMacCommand): Promise<GenerateMacCommandOutput> {
      calls.push(command.input.KeyId!);
      messages.push(new TextDecoder().decode(command.input.Message));
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

describe('KmsUserCodeKeys', () => {
  const keys = { 'key-a': randomBytes(32), 'key-b': randomBytes(32) };

  it('keys a user code the same in every environment with the same KMS key, differently with another', async () => {
    const one = new KmsUserCodeKeys({ client: fakeMacKms(keys), keyId: 'key-a' });
    const two = new KmsUserCodeKeys({ client: fakeMacKms(keys), keyId: 'key-a' });
    const other = new KmsUserCodeKeys({ client: fakeMacKms(keys), keyId: 'key-b' });
    expect(await one.keyOf('BCDFGHJK')).toBe(await two.keyOf('BCDFGHJK'));
    expect(await one.keyOf('BCDFGHJK')).not.toBe(await other.keyOf('BCDFGHJK'));
    expect(await one.keyOf('BCDFGHJK')).not.toBe(await one.keyOf('BCDFGHJL'));
  });

  it('derives a key of its own from the same KMS key (another GenerateMac message), once per environment', async () => {
    const kms = fakeMacKms(keys);
    const userCodes = new KmsUserCodeKeys({ client: kms, keyId: 'key-a' });
    const successors = new KmsSuccessorDeriver({ client: kms, keyId: 'key-a' });
    await Promise.all([userCodes.keyOf('BCDFGHJK'), userCodes.keyOf('BCDFGHJL'), successors.successor('fam', 0, 'secret')]);
    await userCodes.keyOf('BCDFGHJM');
    expect(kms.calls).toEqual(['key-a', 'key-a']);
    expect(new Set(kms.messages)).toEqual(new Set(['lifespan/device-user-code/v1', 'lifespan/refresh-successor/v1']));
    // Not the successor key under another name: its key is the MAC of its own label.
    const derived = createHmac('sha256', keys['key-a']).update('lifespan/device-user-code/v1').digest();
    expect(await userCodes.keyOf('BCDFGHJK')).toBe(await new HmacUserCodeKeys(derived).keyOf('BCDFGHJK'));
  });

  it('locally, one key file serves both uses, kept apart by their labels', async () => {
    const key = randomBytes(32);
    const keyed = await new HmacUserCodeKeys(key).keyOf('BCDFGHJK');
    expect(keyed).not.toBe(createHmac('sha256', key).update('BCDFGHJK').digest('base64url'));
    expect(keyed).not.toBe(await new HmacSuccessorDeriver(key).successor('BCDFGHJK', 0, ''));
    expect(keyed).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
