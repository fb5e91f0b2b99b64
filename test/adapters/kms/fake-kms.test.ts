import { createHash, createPublicKey, verify } from 'node:crypto';
import { GetPublicKeyCommand, InvalidKeyUsageException, NotFoundException, SignCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { FakeKms } from '../../support/fake-kms.ts';

// The fake stands in for KMS in every signer test, so it is checked against node:crypto first.
describe('FakeKms', () => {
  const message = new TextEncoder().encode('header.payload');
  const digest = createHash('sha256').update(message).digest();

  it('returns a DER SubjectPublicKeyInfo that node:crypto reads as the key', async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    const response = await kms.send(new GetPublicKeyCommand({ KeyId: key.keyId }));
    expect(response).toMatchObject({ KeyId: key.arn, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });
    expect(response.PublicKey).toBeInstanceOf(Uint8Array);
    const publicKey = createPublicKey({ key: Buffer.from(response.PublicKey!), format: 'der', type: 'spki' });
    expect(publicKey.equals(key.publicKey)).toBe(true);
  });

  it.each([
    ['RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256'],
    ['ECC_NIST_P256', 'ECDSA_SHA_256'],
  ] as const)('signs a %s DIGEST so it verifies as SHA-256 over the original message', async (keySpec, algorithm) => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec });
    for (let round = 0; round < 5; round += 1) {
      const { Signature } = await kms.send(
        new SignCommand({ KeyId: key.arn, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      // DER for ECDSA, as KMS returns it: node:crypto's default dsaEncoding.
      expect(verify('sha256', message, key.publicKey, Signature!)).toBe(true);
    }
  });

  it('hashes a RAW message itself', async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    const { Signature } = await kms.send(
      new SignCommand({ KeyId: key.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(verify('sha256', message, key.publicKey, Signature!)).toBe(true);
  });

  it('rejects an unknown key, a wrong algorithm, wrong usage and a digest that is not 32 bytes', async () => {
    const kms = new FakeKms();
    const ec = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    const encryption = kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' });
    const sign = (KeyId: string, SigningAlgorithm: 'ECDSA_SHA_256' | 'RSASSA_PKCS1_V1_5_SHA_256', Message = digest) =>
      kms.send(new SignCommand({ KeyId, Message, MessageType: 'DIGEST', SigningAlgorithm }));

    await expect(kms.send(new GetPublicKeyCommand({ KeyId: 'missing' }))).rejects.toBeInstanceOf(NotFoundException);
    await expect(sign('missing', 'ECDSA_SHA_256')).rejects.toBeInstanceOf(NotFoundException);
    await expect(sign(ec.keyId, 'RSASSA_PKCS1_V1_5_SHA_256')).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(sign(encryption.keyId, 'RSASSA_PKCS1_V1_5_SHA_256')).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(sign(ec.keyId, 'ECDSA_SHA_256', digest.subarray(0, 31))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(kms.calls).toEqual({ GetPublicKey: 1, Sign: 4 });
  });
});
