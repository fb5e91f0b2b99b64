import { exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../../functions/verifier/index.ts';
import { assemble, claims, expectRefused, hmacWithPublicKey, ISSUER, JwksServer, ManualClock, signingKey, split } from './support.ts';

type Key = Awaited<ReturnType<typeof signingKey>>;

function setup(keys: Key[], options: { clock?: ManualClock } = {}): { jwks: JwksServer; clock: ManualClock; verifier: Verifier } {
  const jwks = new JwksServer(keys.map((key) => key.jwk));
  const clock = options.clock ?? new ManualClock();
  const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock });
  return { jwks, clock, verifier };
}

const nowSeconds = (clock: ManualClock) => Math.floor(clock.now() / 1000);

describe('the JWKS cache', () => {
  it('fetches the JWKS once for many concurrent first verifications', async () => {
    const a = await signingKey('ES256');
    const { jwks, clock, verifier } = setup([a]);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => a.sign(claims(nowSeconds(clock)))));
    const results = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(results.every((result) => result.sub === 'alice')).toBe(true);
    expect(jwks.requests).toBe(1);
    await verifier.verify(await a.sign(claims(nowSeconds(clock))));
    expect(jwks.requests).toBe(1);
  });

  it('a rotated key: exactly one refetch for 20 concurrent tokens, and none again within the cooldown', async () => {
    const a = await signingKey('RS256');
    const b = await signingKey('ES256');
    const c = await signingKey('ES256');
    const { jwks, clock, verifier } = setup([a]);
    await verifier.verify(await a.sign(claims(nowSeconds(clock))));
    expect(jwks.requests).toBe(1);

    // The issuer publishes B and, after its rotation delay, signs with it.
    jwks.keys = [b.jwk, a.jwk];
    clock.advance(300);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => b.sign(claims(nowSeconds(clock)))));
    const results = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(results).toHaveLength(20);
    expect(jwks.requests).toBe(2);

    // Old-key tokens still verify, from the cache.
    await verifier.verify(await a.sign(claims(nowSeconds(clock))));
    expect(jwks.requests).toBe(2);

    // A key nobody published: refused, and within the cooldown no refetch, however many come.
    clock.advance(10);
    const unknown = await Promise.allSettled(Array.from({ length: 20 }, async () => verifier.verify(await c.sign(claims(nowSeconds(clock))))));
    expect(unknown.every((result) => result.status === 'rejected')).toBe(true);
    await expectRefused(verifier.verify(await c.sign(claims(nowSeconds(clock)))), 'unknown_key');
    expect(jwks.requests).toBe(2);

    // After the cooldown, one more refetch is allowed (and shared again).
    clock.advance(21);
    await Promise.all(Array.from({ length: 20 }, async () => expectRefused(verifier.verify(await c.sign(claims(nowSeconds(clock)))), 'unknown_key')));
    expect(jwks.requests).toBe(3);
  });

  it('forgets keys the issuer no longer publishes once it refetches', async () => {
    const a = await signingKey('ES256');
    const b = await signingKey('ES256');
    const { jwks, clock, verifier } = setup([a]);
    const old = await a.sign(claims(nowSeconds(clock)));
    await verifier.verify(old);
    jwks.keys = [b.jwk];
    clock.advance(31);
    await verifier.verify(await b.sign(claims(nowSeconds(clock))));
    await expectRefused(verifier.verify(old), 'unknown_key');
    expect(jwks.requests).toBe(2);
  });

  it('does not refetch for bad signatures, refused algorithms, wrong types or expired tokens', async () => {
    const a = await signingKey('RS256');
    const { jwks, clock, verifier } = setup([a]);
    const now = nowSeconds(clock);
    const good = await a.sign(claims(now));
    await verifier.verify(good);
    clock.advance(60);
    const { header, payload, signature } = split(good);
    const pem = await exportSPKI((await generateKeyPair('RS256')).publicKey);
    const attempts: Array<[string, Parameters<typeof expectRefused>[1]]> = [
      [assemble(header, { ...payload, scope: 'admin' }, signature), 'invalid_signature'],
      [assemble({ ...header, alg: 'none' }, payload), 'unsupported_algorithm'],
      [hmacWithPublicKey(header, payload, pem), 'unsupported_algorithm'],
      [hmacWithPublicKey(header, payload, JSON.stringify(a.jwk)), 'unsupported_algorithm'],
      [assemble({ ...header, alg: 'ES256' }, payload, signature), 'unsupported_algorithm'],
      [assemble({ ...header, alg: 'PS256' }, payload, signature), 'unsupported_algorithm'],
      [await a.sign(claims(now), { typ: 'JWT' }), 'wrong_token_type'],
      [await a.sign(claims(now - 2000)), 'token_expired'],
    ];
    for (const [token, code] of attempts) await expectRefused(verifier.verify(token), code, token);
    expect(jwks.requests).toBe(1);
  });

  it('never uses a symmetric key from the JWKS, nor keys of the wrong use or shape', async () => {
    const a = await signingKey('ES256');
    const secret = Buffer.from('a shared secret that must never verify anything');
    const oct = { kty: 'oct', kid: 'oct-key', k: secret.toString('base64url'), alg: 'HS256' };
    const rsa = await signingKey('RS256');
    const mislabelled = { ...rsa.jwk, kid: 'mislabelled', alg: 'ES256' };
    const encryption = { ...rsa.jwk, kid: 'enc', use: 'enc' };
    const jwks = new JwksServer([oct, mislabelled, encryption, a.jwk]);
    const clock = new ManualClock();
    const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock });
    const now = nowSeconds(clock);
    await verifier.verify(await a.sign(claims(now)));
    await expectRefused(verifier.verify(hmacWithPublicKey({ kid: 'oct-key', typ: 'at+jwt' }, claims(now), secret)), 'unsupported_algorithm');
    await expectRefused(verifier.verify(await rsa.sign(claims(now), { kid: 'oct-key' })), 'unknown_key');
    await expectRefused(verifier.verify(await rsa.sign(claims(now), { kid: 'mislabelled' })), 'unknown_key');
    await expectRefused(verifier.verify(await rsa.sign(claims(now), { kid: 'enc' })), 'unknown_key');
    expect(jwks.requests).toBe(1);
  });

  it('an unreachable JWKS is jwks_unavailable, and the next request tries again', async () => {
    const a = await signingKey('ES256');
    const { jwks, clock, verifier } = setup([a]);
    jwks.failWith = 503;
    const token = await a.sign(claims(nowSeconds(clock)));
    const error = await expectRefused(verifier.verify(token), 'jwks_unavailable');
    expect(error.message).toContain('503');
    jwks.failWith = undefined;
    await verifier.verify(token);
    expect(jwks.requests).toBe(2);
  });

  it('a failing refetch is jwks_unavailable, keeps the known keys, and waits for the cooldown', async () => {
    const a = await signingKey('ES256');
    const b = await signingKey('ES256');
    const { jwks, clock, verifier } = setup([a]);
    await verifier.verify(await a.sign(claims(nowSeconds(clock))));
    clock.advance(31);
    jwks.failWith = 500;
    await expectRefused(verifier.verify(await b.sign(claims(nowSeconds(clock)))), 'jwks_unavailable');
    await expectRefused(verifier.verify(await b.sign(claims(nowSeconds(clock)))), 'unknown_key');
    await verifier.verify(await a.sign(claims(nowSeconds(clock))));
    expect(jwks.requests).toBe(2);
  });

  it('fetches the jwksUri given, and by default `${issuer}/jwks.json`', async () => {
    const a = await signingKey('ES256');
    const seen: string[] = [];
    const jwks = new JwksServer([a.jwk]);
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: 'orders-api',
      fetch: (url, init) => {
        seen.push(url);
        return jwks.fetch(url, init);
      },
    });
    await verifier.verify(await a.sign(claims(Math.floor(Date.now() / 1000))));
    expect(seen).toEqual([`${ISSUER}/jwks.json`]);
  });
});
