import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateLocalKeyFile, LocalKeySigner } from '../../../functions/adapters/local/local-key-signer.ts';
import { SigningError } from '../../../functions/oauth/jws.ts';

const claims = { iss: 'http://localhost:3000', sub: 'alice', aud: 'api' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifespan-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['RS256', 'ES256'] as const)('LocalKeySigner with %s', (alg) => {
  it('creates the key file once, mode 0600 in a new directory, and reads the same key back', async () => {
    const path = join(dir, 'nested', 'keys.json');
    const first = new LocalKeySigner(await loadOrCreateLocalKeyFile(path, alg));
    const contents = await readFile(path, 'utf8');
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const restarted = new LocalKeySigner(await loadOrCreateLocalKeyFile(path, alg));
    expect(await readFile(path, 'utf8')).toBe(contents);
    expect(await restarted.jwks()).toEqual(await first.jwks());
    // A token from before the restart still verifies after it.
    const token = await first.signJwt(claims, 'JWT');
    await expect(jwtVerify(token, createLocalJWKSet(await restarted.jwks()))).resolves.toMatchObject({ payload: claims });
  });

  it('signs tokens that verify against its JWKS, with typ, alg and kid = RFC 7638 thumbprint', async () => {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, 'keys.json'), alg));
    const token = await signer.signJwt(claims, 'at+jwt');
    const { keys } = await signer.jwks();
    const { protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys }), { algorithms: [alg], typ: 'at+jwt' });
    expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: await calculateJwkThumbprint(keys[0]!) });
    expect(keys).toEqual([expect.objectContaining({ alg, use: 'sig', kid: protectedHeader.kid })]);
    expect(await signer.algorithm()).toBe(alg);
    if (alg === 'ES256') expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
  });

  it('signs off the event loop: the next turn of the loop comes before a burst of signatures is done', async () => {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, 'keys.json'), alg));
    await signer.signJwt(claims, 'JWT');
    let signed = 0;
    const burst = Array.from({ length: 200 }, () => signer.signJwt(claims, 'JWT').then(() => void (signed += 1)));
    // Signing on the event loop would finish all 200 in microtasks before any macrotask runs;
    // on the thread pool the loop turns while they are computed (ms of CPU, even for ES256).
    await new Promise((resolve) => setImmediate(resolve));
    const byNextTurn = signed;
    await Promise.all(burst);
    expect(signed).toBe(200);
    expect(byNextTurn).toBeLessThan(200);
  });

  it('publishes only public members although the file holds private ones', async () => {
    const path = join(dir, 'keys.json');
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(path, alg));
    expect(JSON.parse(await readFile(path, 'utf8')).keys[0]).toHaveProperty('d');
    for (const jwk of (await signer.jwks()).keys) {
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
    }
  });

  it('fails verification of a tampered token', async () => {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, 'keys.json'), alg));
    const token = await signer.signJwt(claims, 'JWT');
    const [header, payload, signature] = token.split('.');
    const flipped = Buffer.from(signature!, 'base64url');
    flipped[0]! ^= 0x01;
    const jwks = createLocalJWKSet(await signer.jwks());
    await expect(jwtVerify(`${header}.${payload}.${flipped.toString('base64url')}`, jwks)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });
});

describe('LocalKeySigner rotation', () => {
  it('signs with the first key and publishes the rest, so tokens of either verify', async () => {
    const oldFile = await loadOrCreateLocalKeyFile(join(dir, 'old.json'), 'RS256');
    const newFile = await loadOrCreateLocalKeyFile(join(dir, 'new.json'), 'ES256');
    const oldToken = await new LocalKeySigner(oldFile).signJwt(claims, 'JWT');

    const rotated = join(dir, 'rotated.json');
    await writeFile(rotated, JSON.stringify({ keys: [...newFile.keys, ...oldFile.keys] }), { mode: 0o600 });
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(rotated, 'ES256'));
    const newToken = await signer.signJwt(claims, 'JWT');
    const { keys } = await signer.jwks();

    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'RS256']);
    expect(decodeProtectedHeader(newToken).kid).toBe(keys[0]?.kid);
    const jwks = createLocalJWKSet({ keys });
    await expect(jwtVerify(oldToken, jwks)).resolves.toMatchObject({ protectedHeader: { alg: 'RS256' } });
    await expect(jwtVerify(newToken, jwks)).resolves.toMatchObject({ protectedHeader: { alg: 'ES256' } });
  });
});

describe('loadOrCreateLocalKeyFile', () => {
  it('creates one key, atomically, when several processes start at once', async () => {
    const path = join(dir, 'keys.json');
    const files = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateLocalKeyFile(path, 'ES256')));
    const kids = new Set(files.map((file) => file.keys[0]?.kid));
    expect(kids.size).toBe(1);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('refuses a file whose active key is not the configured algorithm', async () => {
    const path = join(dir, 'keys.json');
    await loadOrCreateLocalKeyFile(path, 'RS256');
    await expect(loadOrCreateLocalKeyFile(path, 'ES256')).rejects.toThrow(/active key is RS256 but ES256 is configured/);
  });

  it.each([
    ['not JSON', 'nope', /is not JSON/],
    ['no keys', '{"keys":[]}', /at least one key/],
    ['a public key only', '{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","x":"AA","y":"AA"}]}', /keys\[0\] is not a private JWK/],
    ['an HMAC key', '{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}', /keys\[0\] needs alg RS256 or ES256/],
  ])('refuses a file with %s', async (_, contents, reason) => {
    const path = join(dir, 'keys.json');
    await writeFile(path, contents);
    const error = await loadOrCreateLocalKeyFile(path, 'ES256').then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SigningError);
    expect(error).toMatchObject({ code: 'ERR_SIGNING_KEY_FILE_INVALID', message: expect.stringMatching(reason) });
  });

  it('refuses a kid that is not the key’s thumbprint and a key of the wrong type for its alg', async () => {
    const source = await loadOrCreateLocalKeyFile(join(dir, 'source.json'), 'ES256');
    const [jwk] = source.keys;
    const path = join(dir, 'keys.json');
    await writeFile(path, JSON.stringify({ keys: [{ ...jwk, kid: 'chosen-by-hand' }] }));
    await expect(loadOrCreateLocalKeyFile(path, 'ES256')).rejects.toThrow(/has kid chosen-by-hand, not its RFC 7638 thumbprint/);
    await writeFile(path, JSON.stringify({ keys: [{ ...jwk, alg: 'RS256' }] }));
    await expect(loadOrCreateLocalKeyFile(path, 'RS256')).rejects.toThrow(/RS256 needs an RSA key/);
  });

  it('never puts key material in its errors or their causes', async () => {
    const source = await loadOrCreateLocalKeyFile(join(dir, 'source.json'), 'ES256');
    const [jwk] = source.keys;
    const secret = String(jwk?.d);
    const path = join(dir, 'keys.json');
    const broken = [
      JSON.stringify({ keys: [{ ...jwk, kid: 'x', alg: 'RS256' }] }),
      JSON.stringify({ keys: [{ ...jwk, x: 42 }] }),
      JSON.stringify({ keys: [jwk] }).replace('"kty"', 'kty'),
    ];
    for (const contents of broken) {
      await writeFile(path, contents);
      const error = await loadOrCreateLocalKeyFile(path, 'ES256').then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(SigningError);
      for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
        expect(cause.message).not.toContain(secret);
        expect(cause.message).not.toContain(secret.slice(0, 8));
      }
    }
  });

  it('refuses caller mistakes with TypeError', async () => {
    await expect(loadOrCreateLocalKeyFile('', 'ES256')).rejects.toThrow(TypeError);
    await expect(loadOrCreateLocalKeyFile(join(dir, 'k.json'), 'HS256' as 'ES256')).rejects.toThrow(TypeError);
    expect(() => new LocalKeySigner({ keys: [] })).toThrow(TypeError);
  });
});
