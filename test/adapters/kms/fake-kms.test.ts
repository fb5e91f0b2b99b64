import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  GenerateMacCommand,
  GetPublicKeyCommand,
  InvalidKeyUsageException,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
  SignCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { DependencyError, isTransientAwsError } from '../../../functions/adapters/aws-errors.ts';
import { KmsSigner } from '../../../functions/adapters/kms/kms-signer.ts';
import { TemporarilyUnavailable } from '../../../functions/oauth/errors.ts';
import { AWS_CALL_BUDGETS } from '../../../functions/runtime/aws-clients.ts';
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
    expect(kms.calls).toEqual({ GetPublicKey: 1, Sign: 4, GenerateMac: 0 });
  });

  it('derives MACs with an HMAC_256 key only (GenerateMac), as the successor key is derived in AWS; such a key has no public key', async () => {
    const kms = new FakeKms();
    const mac = kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
    const ec = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    const message = new TextEncoder().encode('label');
    const first = await kms.send(new GenerateMacCommand({ KeyId: mac.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    const again = await kms.send(new GenerateMacCommand({ KeyId: mac.arn, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    expect(first.Mac).toHaveLength(32);
    expect(Buffer.from(again.Mac!)).toEqual(Buffer.from(first.Mac!));
    const other = kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
    const otherMac = await kms.send(new GenerateMacCommand({ KeyId: other.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    expect(Buffer.from(otherMac.Mac!)).not.toEqual(Buffer.from(first.Mac!));
    await expect(kms.send(new GenerateMacCommand({ KeyId: ec.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }))).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: mac.keyId }))).rejects.toBeInstanceOf(UnsupportedOperationException);
  });
});

describe('FakeKms faults', () => {
  const digest = createHash('sha256').update('header.payload').digest();
  const sign = (kms: FakeKms, KeyId: string) => kms.send(new SignCommand({ KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));

  it('throttles as KMS does: the base KMSServiceException named ThrottlingException, a 400 client fault', async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    const cue = kms.failSign({ mode: 'throttle', times: 1 });

    const error = await sign(kms, key.keyId).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(KMSServiceException);
    expect(error).toMatchObject({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(isTransientAwsError(error)).toBe(true);
    expect(cue).toMatchObject({ hits: 1, remaining: 0 });
    // Spent: the next call is answered.
    expect((await sign(kms, key.keyId)).Signature).toBeInstanceOf(Uint8Array);
    expect(kms.calls.Sign).toBe(2);
  });

  it('fails with KMSInternalException, a 500 server fault', async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    kms.failGetPublicKey({ mode: 'internal' });

    for (let call = 0; call < 3; call += 1) {
      const error = await kms.send(new GetPublicKeyCommand({ KeyId: key.keyId })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KMSInternalException);
      expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
    }
    // Sign has cues of its own.
    await expect(sign(kms, key.keyId)).resolves.toMatchObject({ KeyId: key.arn });
  });

  it("times out after the delay, with the SDK's TimeoutError", async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    kms.failSign({ mode: 'timeout', times: 1, delayMs: 30 });

    const started = performance.now();
    const error = await sign(kms, key.keyId).catch((caught: unknown) => caught);

    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT', message: expect.stringContaining('requestTimeout') });
  });

  it('hangs until the faults are cleared, then answers', async () => {
    const kms = new FakeKms();
    const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
    kms.failSign({ mode: 'hang' });

    let settled = false;
    const call = sign(kms, key.keyId).finally(() => {
      settled = true;
    });
    while (kms.hanging === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);

    kms.clearFaults();
    expect((await call).Signature).toBeInstanceOf(Uint8Array);
    await expect(sign(kms, key.keyId)).resolves.toBeDefined();
  });

  it('refuses a cue it cannot apply with a TypeError', () => {
    const kms = new FakeKms();
    expect(() => kms.failSign({ mode: 'throttle', times: 0 })).toThrow(TypeError);
    expect(() => kms.failSign({ mode: 'slow' as 'hang' })).toThrow(TypeError);
    expect(() => kms.failSign({ mode: 'timeout', delayMs: -1 })).toThrow(TypeError);
  });

  describe('with translateUnavailable, like kmsClient()', () => {
    const attempts = AWS_CALL_BUDGETS.kms.maxAttempts;

    it.each(['throttle', 'internal', 'timeout'] as const)('%s on every attempt: 503 after maxAttempts calls, the KMS error as the cause', async (mode) => {
      const kms = new FakeKms({ translateUnavailable: true });
      const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
      kms.failSign({ mode, times: attempts });

      const error = await sign(kms, key.keyId).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(TemporarilyUnavailable);
      expect(error).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
      const dependency = (error as TemporarilyUnavailable).cause;
      expect(dependency).toBeInstanceOf(DependencyError);
      expect(dependency).toMatchObject({ service: 'KMS' });
      expect((dependency as DependencyError).cause).toMatchObject({ $metadata: { attempts } });
      expect(kms.calls.Sign).toBe(attempts);
    });

    it('one failure fewer than the attempts: the retry is answered', async () => {
      const kms = new FakeKms({ translateUnavailable: true });
      const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
      kms.failSign({ mode: 'throttle', times: attempts - 1 });

      expect((await sign(kms, key.keyId)).Signature).toBeInstanceOf(Uint8Array);
      expect(kms.calls.Sign).toBe(attempts);
    });

    it('reaches a KmsSigner over it as the real client would: 503, and a signature once KMS recovers', async () => {
      const kms = new FakeKms({ translateUnavailable: true });
      const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
      const signer = new KmsSigner({ client: kms, activeKeyId: key.keyId });
      const claims = { sub: 'alice' };
      kms.failSign({ mode: 'throttle' });

      await expect(signer.signJwt(claims, 'at+jwt')).rejects.toBeInstanceOf(TemporarilyUnavailable);
      kms.clearFaults();
      await expect(signer.signJwt(claims, 'at+jwt')).resolves.toMatch(/^ey/);
    });

    it('passes an error that is not transient through unchanged, after one call', async () => {
      const kms = new FakeKms({ translateUnavailable: true });
      await expect(sign(kms, 'missing')).rejects.toBeInstanceOf(NotFoundException);
      expect(kms.calls.Sign).toBe(1);
    });
  });
});
