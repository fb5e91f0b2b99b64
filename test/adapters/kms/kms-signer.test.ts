import { KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { KmsSigner, type KmsSigningClient } from '../../../functions/adapters/kms/kms-signer.ts';
import { SigningError } from '../../../functions/oauth/jws.ts';
import { FakeKms, type FakeKeySpec } from '../../support/fake-kms.ts';

const claims = { iss: 'https://issuer.example', sub: 'alice', aud: 'api', iat: 1_700_000_000, exp: 4_000_000_000 };

function setup(keySpec: FakeKeySpec) {
  const kms = new FakeKms();
  const key = kms.createKey({ keySpec });
  return { kms, key, signer: new KmsSigner({ client: kms, activeKeyId: key.keyId }) };
}

describe.each([
  ['RS256', 'RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256'],
  ['ES256', 'ECC_NIST_P256', 'ECDSA_SHA_256'],
] as const)('KmsSigner with %s', (alg, keySpec, signingAlgorithm) => {
  it('signs tokens that verify against its JWKS', async () => {
    const { signer } = setup(keySpec);
    const token = await signer.signJwt(claims, 'at+jwt');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await signer.jwks()), {
      algorithms: [alg],
      typ: 'at+jwt',
      currentDate: new Date(1_700_000_000_000),
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader.alg).toBe(alg);
    expect(await signer.algorithm()).toBe(alg);
  });

  it('puts typ, alg and kid = RFC 7638 thumbprint of the KMS public key in the header', async () => {
    const { signer, key } = setup(keySpec);
    const header = decodeProtectedHeader(await signer.signJwt(claims, 'JWT'));
    const thumbprint = await calculateJwkThumbprint(key.publicKey.export({ format: 'jwk' }));
    expect(header).toEqual({ alg, kid: thumbprint, typ: 'JWT' });
    expect((await signer.jwks()).keys).toEqual([expect.objectContaining({ kid: thumbprint, alg, use: 'sig' })]);
  });

  it('sends KMS the SHA-256 digest with MessageType DIGEST and the matching algorithm', async () => {
    const { signer, kms, key } = setup(keySpec);
    await signer.signJwt(claims, 'JWT');
    expect(kms.signRequests).toEqual([
      { KeyId: key.arn, Message: expect.any(Uint8Array), MessageType: 'DIGEST', SigningAlgorithm: signingAlgorithm },
    ]);
    expect(kms.signRequests[0]?.Message).toHaveLength(32);
  });

  it('fetches the public key once however many tokens are signed, also concurrently', async () => {
    const { signer, kms } = setup(keySpec);
    await Promise.all([
      ...Array.from({ length: 10 }, () => signer.signJwt(claims, 'JWT')),
      signer.jwks(),
      signer.algorithm(),
    ]);
    await signer.signJwt(claims, 'JWT');
    await signer.jwks();
    expect(kms.calls).toEqual({ GetPublicKey: 1, Sign: 11, GenerateMac: 0 });
  });

  it('publishes only public members', async () => {
    const { signer } = setup(keySpec);
    for (const jwk of (await signer.jwks()).keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(jwk).not.toHaveProperty(member);
    }
  });

  it('fails verification of a tampered token', async () => {
    const { signer } = setup(keySpec);
    const [header, , signature] = (await signer.signJwt(claims, 'JWT')).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
    await expect(jwtVerify(`${header}.${forged}.${signature}`, createLocalJWKSet(await signer.jwks()))).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });
});

describe('KmsSigner', () => {
  it('gives ES256 signatures of exactly 64 bytes (r‖s, not DER)', async () => {
    const { signer } = setup('ECC_NIST_P256');
    for (let round = 0; round < 20; round += 1) {
      const signature = (await signer.signJwt({ ...claims, jti: String(round) }, 'JWT')).split('.')[2]!;
      expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    }
  });

  it.each([
    ['KeyUsage', { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' }, /has KeyUsage ENCRYPT_DECRYPT; signing keys need SIGN_VERIFY/],
    ['RSA key size', { keySpec: 'RSA_3072' }, /has KeySpec RSA_3072; Lifespan signs with RSA_2048 \(RS256\) or ECC_NIST_P256 \(ES256\)/],
    ['curve', { keySpec: 'ECC_NIST_P384' }, /has KeySpec ECC_NIST_P384/],
  ] as const)('refuses a key with the wrong %s, naming the key', async (_, options, reason) => {
    const kms = new FakeKms();
    const key = kms.createKey(options);
    const signer = new KmsSigner({ client: kms, activeKeyId: key.keyId });
    for (const attempt of [signer.signJwt(claims, 'JWT'), signer.jwks(), signer.algorithm()]) {
      const error = await attempt.then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(SigningError);
      expect(error).toMatchObject({ code: 'ERR_SIGNING_KEY_UNSUPPORTED', message: expect.stringContaining(`KMS key ${key.keyId} `) });
      expect((error as Error).message).toMatch(reason);
    }
    expect(kms.calls.Sign).toBe(0);
  });

  it('passes on KMS errors and retries GetPublicKey after a failure instead of caching it', async () => {
    const kms = new FakeKms();
    const signer = new KmsSigner({ client: kms, activeKeyId: 'alias/not-yet' });
    await expect(signer.signJwt(claims, 'JWT')).rejects.toBeInstanceOf(NotFoundException);
    kms.createKey({ keySpec: 'ECC_NIST_P256', alias: 'alias/not-yet' });
    await expect(signer.signJwt(claims, 'JWT')).resolves.toEqual(expect.any(String));
    expect(kms.calls.GetPublicKey).toBe(2);
  });

  it('refuses invalid options as caller mistakes', () => {
    const kms = new FakeKms();
    expect(() => new KmsSigner({ client: kms, activeKeyId: '' })).toThrow(TypeError);
    expect(() => new KmsSigner({ client: kms, activeKeyId: 'k', publishedKeyIds: [' '] })).toThrow(/publishedKeyIds\[0\]/);
    expect(() => new KmsSigner({ client: undefined as unknown as KmsSigningClient, activeKeyId: 'k' })).toThrow(TypeError);
  });

  it('accepts the real KMSClient as its client', () => {
    const client: KmsSigningClient = new KMSClient({ region: 'eu-west-1' });
    expect(new KmsSigner({ client, activeKeyId: 'alias/lifespan' })).toBeInstanceOf(KmsSigner);
  });
});
