import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { KmsSigner } from '../../../functions/adapters/kms/kms-signer.ts';
import { FakeKms } from '../../support/fake-kms.ts';

const claims = { iss: 'https://issuer.example', sub: 'alice', aud: 'api' };

/** DESIGN §7: publish the new key, switch signing once caches refreshed, retire the old key after its tokens expire. */
describe('KmsSigner key rotation', () => {
  const kms = new FakeKms();
  const oldKey = kms.createKey({ keySpec: 'RSA_2048' });
  const newKey = kms.createKey({ keySpec: 'ECC_NIST_P256' });

  it('publishes the active key first, then the keys in rotation, each once', async () => {
    const signer = new KmsSigner({ client: kms, activeKeyId: oldKey.keyId, publishedKeyIds: [newKey.keyId, oldKey.keyId, newKey.arn] });
    const { keys } = await signer.jwks();
    expect(keys.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    expect(decodeProtectedHeader(await signer.signJwt(claims, 'JWT')).kid).toBe(keys[0]?.kid);
  });

  it('keeps tokens of either key verifiable across the switch', async () => {
    // Phase 1: the new key is published before it signs.
    const before = new KmsSigner({ client: kms, activeKeyId: oldKey.keyId, publishedKeyIds: [newKey.keyId] });
    const oldToken = await before.signJwt(claims, 'JWT');
    const jwksBefore = createLocalJWKSet(await before.jwks());

    // Phase 2: the new key signs; the old key stays published until its tokens expire.
    const after = new KmsSigner({ client: kms, activeKeyId: newKey.keyId, publishedKeyIds: [oldKey.keyId] });
    const newToken = await after.signJwt(claims, 'JWT');
    const jwksAfter = createLocalJWKSet(await after.jwks());

    expect(decodeProtectedHeader(newToken).kid).not.toBe(decodeProtectedHeader(oldToken).kid);
    // A verifier that cached the JWKS before the switch already knows the new key...
    await expect(jwtVerify(newToken, jwksBefore)).resolves.toMatchObject({ protectedHeader: { alg: 'ES256' } });
    // ...and a token signed before the switch still verifies after it.
    await expect(jwtVerify(oldToken, jwksAfter)).resolves.toMatchObject({ protectedHeader: { alg: 'RS256' } });
    await expect(jwtVerify(newToken, jwksAfter)).resolves.toMatchObject({ payload: claims });
  });

  it('stops accepting the old key’s tokens once it is retired', async () => {
    const before = new KmsSigner({ client: kms, activeKeyId: oldKey.keyId });
    const oldToken = await before.signJwt(claims, 'JWT');
    const retired = new KmsSigner({ client: kms, activeKeyId: newKey.keyId });
    await expect(jwtVerify(oldToken, createLocalJWKSet(await retired.jwks()))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('signs only with the active key', async () => {
    const signer = new KmsSigner({ client: kms, activeKeyId: newKey.keyId, publishedKeyIds: [oldKey.keyId] });
    const signedBefore = kms.signRequests.length;
    await signer.signJwt(claims, 'JWT');
    expect(kms.signRequests.slice(signedBefore).map((request) => request.KeyId)).toEqual([newKey.arn]);
  });
});
