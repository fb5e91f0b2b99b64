import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { publicJwkFromSpki } from '../../functions/adapters/kms/der.ts';
import { signCompactJws, SigningError, type JwsProtectedHeader } from '../../functions/oauth/jws.ts';

// jws.ts is the assembly both signer adapters share; its contract is tested beside the KMS adapter.
describe('signCompactJws', () => {
  const fixedSignature = async () => new Uint8Array(64).fill(7);

  it('signs base64url(header).base64url(payload) and appends the signature', async () => {
    let signed = '';
    const jws = await signCompactJws({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }, { sub: 'alice' }, async (input) => {
      signed = new TextDecoder().decode(input);
      return fixedSignature();
    });
    const [header, payload, signature] = jws.split('.');
    expect(signed).toBe(`${header}.${payload}`);
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ sub: 'alice' });
    expect(Buffer.from(signature!, 'base64url')).toEqual(Buffer.alloc(64, 7));
  });

  it.each(['none', 'HS256', 'RS512', 'PS256', 'ES512', ''])('refuses alg %j before signing anything', async (alg) => {
    let called = false;
    const header = { alg, kid: 'k1', typ: 'JWT' } as unknown as JwsProtectedHeader;
    await expect(
      signCompactJws(header, {}, async () => {
        called = true;
        return fixedSignature();
      }),
    ).rejects.toThrow(TypeError);
    expect(called).toBe(false);
  });

  it('refuses a missing kid or typ and a non-object payload as caller mistakes', async () => {
    await expect(signCompactJws({ alg: 'ES256', kid: '', typ: 'JWT' }, {}, fixedSignature)).rejects.toThrow(TypeError);
    await expect(signCompactJws({ alg: 'ES256', kid: 'k', typ: '' }, {}, fixedSignature)).rejects.toThrow(TypeError);
    const notAnObject = [] as unknown as Record<string, never>;
    await expect(signCompactJws({ alg: 'ES256', kid: 'k', typ: 'JWT' }, notAnObject, fixedSignature)).rejects.toThrow(TypeError);
  });

  it('never lets extra header members through', async () => {
    const header = { alg: 'ES256', kid: 'k', typ: 'JWT', jku: 'https://evil.example' } as JwsProtectedHeader;
    const jws = await signCompactJws(header, {}, fixedSignature);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: 'k', typ: 'JWT' });
  });

  it('refuses an ES256 signature that is not 64 bytes (DER passed through by mistake)', async () => {
    await expect(
      signCompactJws({ alg: 'ES256', kid: 'k', typ: 'JWT' }, {}, async () => new Uint8Array(70)),
    ).rejects.toBeInstanceOf(SigningError);
  });
});

describe('publicJwkFromSpki', () => {
  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ] as const)('gives a %s public JWK whose kid is its RFC 7638 thumbprint', async (alg, generate) => {
    const { publicKey } = generate();
    const jwk = await publicJwkFromSpki(publicKey.export({ format: 'der', type: 'spki' }), alg);
    expect(jwk).toMatchObject({ alg, use: 'sig', kid: await calculateJwkThumbprint(publicKey.export({ format: 'jwk' })) });
  });

  it('refuses a key that does not fit the algorithm', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const der = publicKey.export({ format: 'der', type: 'spki' });
    await expect(publicJwkFromSpki(der, 'ES256')).rejects.toThrow(/ES256 needs a P-256 EC key, got ec secp384r1/);
    await expect(publicJwkFromSpki(der, 'RS256')).rejects.toThrow(/RS256 needs an RSA key/);
    await expect(publicJwkFromSpki(new Uint8Array([1, 2, 3]), 'RS256')).rejects.toMatchObject({ code: 'ERR_SIGNING_KEY_UNSUPPORTED' });
  });
});
