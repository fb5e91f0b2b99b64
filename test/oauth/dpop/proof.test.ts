import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  DpopProofRefused,
  normalizedHtu,
  proofHeader,
  verifyDpopProof,
  type ProofExpectations,
} from '../../../functions/oauth/dpop/proof.ts';

const URL_ = 'https://auth.example.com/token';
const now = Math.floor(Date.now() / 1000);
const expectations: ProofExpectations = { method: 'POST', url: URL_, now, skew: 30 };

let privateKey: CryptoKey;
let publicJwk: JWK;
let privateJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = await exportJWK(pair.publicKey);
  privateJwk = await exportJWK(pair.privateKey);
});

interface ProofOptions {
  readonly header?: Record<string, unknown>;
  readonly claims?: Record<string, unknown>;
  readonly key?: CryptoKey | Uint8Array;
  readonly alg?: string;
}

async function proof(options: ProofOptions = {}): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: URL_, iat: now, jti: crypto.randomUUID(), ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: 'dpop+jwt', jwk: publicJwk, ...options.header } as never)
    .sign(options.key ?? privateKey);
}

async function refusal(value: string, expect_: ProofExpectations = expectations): Promise<DpopProofRefused> {
  const error = await verifyDpopProof(value, expect_).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(DpopProofRefused);
  return error as DpopProofRefused;
}

describe('verifyDpopProof', () => {
  it('accepts a well-formed proof and returns the key thumbprint (RFC 7638) and jti', async () => {
    const result = await verifyDpopProof(await proof({ claims: { jti: 'the-jti' } }), expectations);
    const { calculateJwkThumbprint } = await import('jose');
    expect(result.jkt).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
    expect(result.jti).toBe('the-jti');
    expect(result.replayableUntil).toBe(now + 30 + 60);
  });

  it.each(['RS256', 'PS256', 'ES384', 'EdDSA'] as const)('accepts %s proofs', async (alg) => {
    const pair = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const token = await proof({ alg, key: pair.privateKey, header: { jwk } });
    await expect(verifyDpopProof(token, expectations)).resolves.toMatchObject({ jti: expect.any(String) });
  });

  it('refuses another typ', async () => {
    expect((await refusal(await proof({ header: { typ: 'JWT' } }))).message).toMatch(/typ/);
  });

  it('refuses alg none and MAC algorithms', async () => {
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: publicJwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ htm: 'POST', htu: URL_, iat: now, jti: 'x' })).toString('base64url')}.`;
    expect((await refusal(unsigned)).message).toMatch(/well-formed/);
    const hs = await proof({ alg: 'HS256', key: new Uint8Array(32).fill(7) });
    expect((await refusal(hs)).message).toMatch(/asymmetric/);
  });

  it('refuses a jwk with private members, and a missing jwk', async () => {
    expect((await refusal(await proof({ header: { jwk: privateJwk } }))).message).toMatch(/public key/);
    expect((await refusal(await proof({ header: { jwk: undefined } }))).message).toMatch(/jwk/);
  });

  it('refuses RSA keys whose size makes verification costly: a modulus outside 2048-4096 bits, a long exponent', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(rsa.publicKey);
    const sign = (header: Record<string, unknown>) => proof({ alg: 'RS256', key: rsa.privateKey, header });
    await verifyDpopProof(await sign({ jwk }), expectations);
    expect((await refusal(await sign({ jwk: { ...jwk, n: jwk.n!.slice(0, 171) } }))).message).toMatch(/modulus/);
    expect((await refusal(await sign({ jwk: { ...jwk, n: jwk.n!.repeat(3) } }))).message).toMatch(/modulus/);
    expect((await refusal(await sign({ jwk: { ...jwk, e: 'A'.repeat(400) } }))).message).toMatch(/exponent/);
  });

  it('refuses a signature the jwk does not verify (another key in the header)', async () => {
    const other = await generateKeyPair('ES256', { extractable: true });
    const token = await proof({ header: { jwk: await exportJWK(other.publicKey) } });
    expect((await refusal(token)).message).toMatch(/signature/);
    const [head, body] = (await proof()).split('.');
    expect((await refusal(`${head}.${body}.${'A'.repeat(86)}`)).message).toMatch(/signature/);
  });

  it('refuses another htm', async () => {
    expect((await refusal(await proof({ claims: { htm: 'GET' } }))).message).toMatch(/htm/);
  });

  it('compares htu without query and fragment, after normalising scheme, host and default port', async () => {
    await verifyDpopProof(await proof({ claims: { htu: 'HTTPS://Auth.Example.com:443/token?x=1#f' } }), expectations);
    expect((await refusal(await proof({ claims: { htu: 'https://auth.example.com/token/' } }))).message).toMatch(/htu/);
    expect((await refusal(await proof({ claims: { htu: 'https://evil.example.com/token' } }))).message).toMatch(/htu/);
    expect((await refusal(await proof({ claims: { htu: 'http://auth.example.com/token' } }))).message).toMatch(/htu/);
    expect((await refusal(await proof({ claims: { htu: 42 } }))).message).toMatch(/htu/);
    expect(normalizedHtu('ftp://x/y')).toBeUndefined();
  });

  it('refuses an iat too old or in the future (beyond the skew tolerance)', async () => {
    await verifyDpopProof(await proof({ claims: { iat: now - 89 } }), expectations);
    await verifyDpopProof(await proof({ claims: { iat: now + 30 } }), expectations);
    expect((await refusal(await proof({ claims: { iat: now - 91 } }))).message).toMatch(/too old/);
    expect((await refusal(await proof({ claims: { iat: now + 31 } }))).message).toMatch(/future/);
    expect((await refusal(await proof({ claims: { iat: String(now) } }))).message).toMatch(/iat/);
  });

  it('refuses a proof without a jti', async () => {
    expect((await refusal(await proof({ claims: { jti: undefined } }))).message).toMatch(/jti/);
    expect((await refusal(await proof({ claims: { jti: '' } }))).message).toMatch(/jti/);
  });

  it('at a resource: requires ath to be the hash of the access token', async () => {
    const at = 'the.access.token';
    const atResource = { ...expectations, method: 'GET', accessToken: at };
    await verifyDpopProof(await proof({ claims: { htm: 'GET', ath: accessTokenHash(at) } }), atResource);
    expect((await refusal(await proof({ claims: { htm: 'GET' } }), atResource)).message).toMatch(/ath/);
    expect((await refusal(await proof({ claims: { htm: 'GET', ath: accessTokenHash('other') } }), atResource)).message).toMatch(/ath/);
  });

  it('refuses garbage and oversized input without throwing anything else', async () => {
    for (const value of ['', 'abc', 'a.b', 'a.b.c.d', '!!.!!.!!', `${'a'.repeat(9000)}.b.c`]) await refusal(value);
  });
});

describe('proofHeader', () => {
  it('finds the one DPoP header whatever its case, and refuses two', async () => {
    expect(proofHeader({ DPoP: 'a.b.c' })).toBe('a.b.c');
    expect(proofHeader({ other: 'x' })).toBeUndefined();
    expect(() => proofHeader({ dpop: 'a.b.c,d.e.f' })).toThrow(DpopProofRefused);
    expect(() => proofHeader({ dpop: 'a.b.c', DPoP: 'd.e.f' })).toThrow(DpopProofRefused);
  });
});
