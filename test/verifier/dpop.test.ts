import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, DpopProofInvalid, type DpopReplayStore, type Verifier, type VerifyOptions } from '../../functions/verifier/index.ts';
import { claims, dpopKey, expectRefused, ISSUER, JwksServer, ManualClock, signingKey } from './support.ts';

const URL_ = 'https://orders.example.com/orders';
const GET = { method: 'GET', url: URL_ } as const;

describe('DPoP-bound tokens (RFC 9449 §7, own keys, frozen clock)', () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let client: Awaited<ReturnType<typeof dpopKey>>;
  let other: Awaited<ReturnType<typeof dpopKey>>;
  let jwks: JwksServer;
  let now: number;
  let clock: ManualClock;
  let verifier: Verifier;

  /** A token bound to `client`'s key, and the options of a request carrying `proof` with it. */
  const boundToken = (overrides: Record<string, unknown> = {}) => key.sign(claims(now, { cnf: { jkt: client.jkt }, ...overrides }));
  const asDpop = (proof: string | undefined, request: { method: string; url: string } = GET): VerifyOptions => ({
    scheme: 'DPoP',
    dpop: { proof, ...request },
  });
  const newVerifier = (options: { clockToleranceSeconds?: number; dpopReplayStore?: DpopReplayStore } = {}) =>
    createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, ...options });

  beforeAll(async () => {
    key = await signingKey('ES256');
    client = await dpopKey('ES256');
    other = await dpopKey('ES256');
    jwks = new JwksServer([key.jwk]);
  });
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
    clock = new ManualClock(now * 1000);
    verifier = newVerifier();
  });

  it('accepts a bound token sent as DPoP with a proof by its key, for this request and this token', async () => {
    const token = await boundToken();
    const verified = await verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now })));
    expect(verified.cnf).toEqual({ jkt: client.jkt });
    expect(verified.sub).toBe('alice');
  });

  it('accepts the scheme from any key type the proofs may use, and htu with a query or another case of host', async () => {
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const holder = await dpopKey(alg);
      const token = await key.sign(claims(now, { cnf: { jkt: holder.jkt } }));
      await verifier.verify(token, asDpop(await holder.proof({ ...GET, token, iat: now })));
    }
    const token = await boundToken();
    const proof = await client.proof({ method: 'GET', url: 'https://ORDERS.example.com:443/orders', token, iat: now });
    await verifier.verify(token, asDpop(proof, { method: 'GET', url: `${URL_}?page=2` }));
  });

  it('refuses a bound token sent as Bearer: wrong_token_scheme (a stolen-token downgrade), even with its proof', async () => {
    const token = await boundToken();
    const proof = await client.proof({ ...GET, token, iat: now });
    await expectRefused(verifier.verify(token), 'wrong_token_scheme', token);
    await expectRefused(verifier.verify(token, { scheme: 'Bearer' }), 'wrong_token_scheme', token);
    await expectRefused(verifier.verify(token, { scheme: 'Bearer', dpop: { proof, ...GET } }), 'wrong_token_scheme', token);
  });

  it('refuses a bound token without a proof: dpop_proof_missing', async () => {
    const token = await boundToken();
    await expectRefused(verifier.verify(token, asDpop(undefined)), 'dpop_proof_missing', token);
    await expectRefused(verifier.verify(token, asDpop('')), 'dpop_proof_missing', token);
  });

  it('refuses a valid proof by another key: dpop_key_mismatch', async () => {
    const token = await boundToken();
    const error = await expectRefused(verifier.verify(token, asDpop(await other.proof({ ...GET, token, iat: now }))), 'dpop_key_mismatch', token);
    expect(error.message).not.toContain(client.jkt);
    expect(error.message).not.toContain(other.jkt);
  });

  it('refuses a proof whose ath is not this token’s hash, or that has none: dpop_proof_invalid', async () => {
    const token = await boundToken();
    const sibling = await boundToken();
    const forSibling = await expectRefused(verifier.verify(token, asDpop(await client.proof({ ...GET, token: sibling, iat: now }))), 'dpop_proof_invalid', token);
    expect(forSibling).toBeInstanceOf(DpopProofInvalid);
    expect(forSibling.message).toMatch(/ath/);
    expect((await expectRefused(verifier.verify(token, asDpop(await client.proof({ ...GET, iat: now }))), 'dpop_proof_invalid')).message).toMatch(/ath/);
  });

  it('refuses a proof for another method or another URL: dpop_proof_invalid', async () => {
    const token = await boundToken();
    const post = await client.proof({ method: 'POST', url: URL_, token, iat: now });
    expect((await expectRefused(verifier.verify(token, asDpop(post)), 'dpop_proof_invalid')).message).toMatch(/htm/);
    for (const url of ['https://orders.example.com/orders/42', 'https://billing.example.com/orders', 'http://orders.example.com/orders']) {
      const proof = await client.proof({ method: 'GET', url, token, iat: now });
      expect((await expectRefused(verifier.verify(token, asDpop(proof)), 'dpop_proof_invalid')).message).toMatch(/htu/);
    }
  });

  it('refuses a proof that is not a DPoP proof at all', async () => {
    const token = await boundToken();
    for (const proof of ['not-a-jwt', token, `${token}.x`]) {
      await expectRefused(verifier.verify(token, asDpop(proof)), 'dpop_proof_invalid', token);
    }
  });

  it('refuses a replayed proof the second time: dpop_proof_replayed', async () => {
    const token = await boundToken();
    const proof = await client.proof({ ...GET, token, iat: now });
    await verifier.verify(token, asDpop(proof));
    await expectRefused(verifier.verify(token, asDpop(proof)), 'dpop_proof_replayed', token);
    clock.advance(30);
    await expectRefused(verifier.verify(token, asDpop(proof)), 'dpop_proof_replayed', token);
    await verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now + 30 })));
  });

  it('two verifications at once with one proof: exactly one passes', async () => {
    const token = await boundToken();
    const proof = await client.proof({ ...GET, token, iat: now });
    // A fresh verifier: both calls wait on the same JWKS fetch, then race to the replay check.
    const fresh = newVerifier();
    const results = await Promise.allSettled([fresh.verify(token, asDpop(proof)), fresh.verify(token, asDpop(proof))]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const [refused] = results.filter((result) => result.status === 'rejected');
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'dpop_proof_replayed' });
  });

  it('one jti under two keys is two proofs (replay is per jkt)', async () => {
    const token = await boundToken();
    const otherToken = await key.sign(claims(now, { cnf: { jkt: other.jkt } }));
    await verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now }, { jti: 'same' })));
    await verifier.verify(otherToken, asDpop(await other.proof({ ...GET, token: otherToken, iat: now }, { jti: 'same' })));
  });

  it('a proof lives 60 s after its iat plus the clock tolerance, on the verifier’s clock', async () => {
    const token = await boundToken();
    clock.advance(90);
    await verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now })));
    clock.advance(1);
    const old = await expectRefused(verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now }))), 'dpop_proof_invalid');
    expect(old.message).toMatch(/too old/);

    const strict = newVerifier({ clockToleranceSeconds: 0 });
    clock.set(now * 1000);
    await expectRefused(strict.verify(token, asDpop(await client.proof({ ...GET, token, iat: now + 1 }))), 'dpop_proof_invalid');
    clock.advance(60);
    await strict.verify(token, asDpop(await client.proof({ ...GET, token, iat: now })));
    clock.advance(1);
    await expectRefused(strict.verify(token, asDpop(await client.proof({ ...GET, token, iat: now }))), 'dpop_proof_invalid');
  });

  it('refuses a token that is not bound sent as DPoP: wrong_token_scheme, whatever the proof', async () => {
    const token = await key.sign(claims(now));
    await expectRefused(verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now }))), 'wrong_token_scheme', token);
    await expectRefused(verifier.verify(token, asDpop(undefined)), 'wrong_token_scheme', token);
  });

  it('a token that is not bound, sent as Bearer, works as before, and any DPoP context is ignored', async () => {
    const token = await key.sign(claims(now));
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' });
    await expect(verifier.verify(token, { scheme: 'Bearer' })).resolves.not.toHaveProperty('cnf');
    await expect(verifier.verify(token, { scheme: 'Bearer', dpop: { proof: 'junk', ...GET } })).resolves.toMatchObject({ sub: 'alice' });
  });

  it.each([
    ['a string', 'abc'],
    ['null', null],
    ['an array', [{ jkt: 'x' }]],
    ['an empty object', {}],
    ['an mTLS confirmation only', { 'x5t#S256': 'A'.repeat(43) }],
    ['a short jkt', { jkt: 'A'.repeat(42) }],
    ['a long jkt', { jkt: 'A'.repeat(44) }],
    ['a jkt outside base64url', { jkt: `${'A'.repeat(42)}+` }],
    ['a numeric jkt', { jkt: 42 }],
  ])('refuses a cnf that is %s as malformed_token, whatever the scheme', async (_, cnf) => {
    const token = await key.sign(claims(now, { cnf }));
    await expectRefused(verifier.verify(token), 'malformed_token', token);
    await expectRefused(verifier.verify(token, asDpop(await client.proof({ ...GET, token, iat: now }))), 'malformed_token', token);
  });

  it('the token’s own checks come first; scope and step-up apply to bound tokens too', async () => {
    const expired = await boundToken({ exp: now - 60 });
    await expectRefused(verifier.verify(expired, asDpop(await client.proof({ ...GET, token: expired, iat: now }))), 'token_expired');
    const token = await boundToken({ auth_time: now - 600 });
    await expectRefused(verifier.verify(token, { ...asDpop(await client.proof({ ...GET, token, iat: now })), requiredScopes: ['orders:write'] }), 'missing_scope');
    await expectRefused(verifier.verify(token, { ...asDpop(await client.proof({ ...GET, token, iat: now })), maxAuthAge: 300 }), 'insufficient_user_authentication');
  });

  it('refuses invalid DPoP options with a TypeError', async () => {
    const token = await boundToken();
    await expect(verifier.verify(token, { scheme: 'DPoP' })).rejects.toThrow(/dpop/);
    await expect(verifier.verify(token, { scheme: 'dpop' as never, dpop: { proof: undefined, ...GET } })).rejects.toThrow(TypeError);
    await expect(verifier.verify(token, asDpop(undefined, { method: '', url: URL_ }))).rejects.toThrow(/dpop.method/);
    await expect(verifier.verify(token, asDpop(undefined, { method: 'GET', url: '/orders' }))).rejects.toThrow(/dpop.url/);
    await expect(verifier.verify(token, asDpop(undefined, { method: 'GET', url: 'ftp://orders.example.com/' }))).rejects.toThrow(/dpop.url/);
    await expect(verifier.verify(token, { scheme: 'DPoP', dpop: { proof: 42 as never, ...GET } })).rejects.toThrow(/dpop.proof/);
  });
});

describe('dpopReplayStore: a shared record of proofs', () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let client: Awaited<ReturnType<typeof dpopKey>>;
  let jwks: JwksServer;
  beforeAll(async () => {
    key = await signingKey('ES256');
    client = await dpopKey('ES256');
    jwks = new JwksServer([key.jwk]);
  });

  /** A store like a conditional put: asynchronous, atomic per (jkt, jti), counting its calls. */
  class SharedStore implements DpopReplayStore {
    readonly calls: Array<[string, string, number, number]> = [];
    readonly #seen = new Map<string, number>();
    async firstUse(jkt: string, jti: string, until: number, now: number): Promise<boolean> {
      this.calls.push([jkt, jti, until, now]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const recorded = this.#seen.get(`${jkt} ${jti}`);
      if (recorded !== undefined && recorded >= now) return false;
      this.#seen.set(`${jkt} ${jti}`, until);
      return true;
    }
  }

  it('is called with the thumbprint, the jti, the end of the proof’s lifetime and now (verifier clock, epoch seconds)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000 + 400);
    const store = new SharedStore();
    const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, clockToleranceSeconds: 10, dpopReplayStore: store });
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    await verifier.verify(token, { scheme: 'DPoP', dpop: { proof: await client.proof({ ...GET, token, iat: now }, { jti: 'proof-1' }), ...GET } });
    expect(store.calls).toEqual([[client.jkt, 'proof-1', now + 10 + 60, now]]);
  });

  it('stops a replay at another instance sharing the store; the default memory store only at the same instance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const store = new SharedStore();
    const instance = () => createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, dpopReplayStore: store });
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    const options: VerifyOptions = { scheme: 'DPoP', dpop: { proof: await client.proof({ ...GET, token, iat: now }), ...GET } };
    await instance().verify(token, options);
    await expectRefused(instance().verify(token, options), 'dpop_proof_replayed');

    const alone = () => createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock });
    const second: VerifyOptions = { scheme: 'DPoP', dpop: { proof: await client.proof({ ...GET, token, iat: now }), ...GET } };
    await alone().verify(token, second);
    await alone().verify(token, second);
  });

  it('concurrent verifications through an asynchronous store: exactly one passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const store = new SharedStore();
    const [a, b] = [0, 1].map(() => createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, dpopReplayStore: store }));
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    const options: VerifyOptions = { scheme: 'DPoP', dpop: { proof: await client.proof({ ...GET, token, iat: now }), ...GET } };
    const results = await Promise.allSettled([a!.verify(token, options), b!.verify(token, options), a!.verify(token, options)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
  });

  it('a store that fails or answers a non-boolean refuses the token: dpop_replay_store_unavailable (fail closed)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    const stores: DpopReplayStore[] = [
      { firstUse: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')) },
      {
        firstUse: () => {
          throw new Error('down');
        },
      },
      { firstUse: async () => 'yes' as never },
    ];
    for (const dpopReplayStore of stores) {
      const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, dpopReplayStore });
      const error = await expectRefused(
        verifier.verify(token, { scheme: 'DPoP', dpop: { proof: await client.proof({ ...GET, token, iat: now }), ...GET } }),
        'dpop_replay_store_unavailable',
      );
      expect(error.message).not.toMatch(/Provisioned|down/);
    }
  });

  it('is not consulted for a refused proof, nor for a token that is not bound', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const store = new SharedStore();
    const verifier = createVerifier({ issuer: ISSUER, audience: 'orders-api', fetch: jwks.fetch, clock, dpopReplayStore: store });
    const token = await key.sign(claims(now, { cnf: { jkt: client.jkt } }));
    const stranger = await dpopKey();
    await expectRefused(verifier.verify(token, { scheme: 'DPoP', dpop: { proof: await stranger.proof({ ...GET, token, iat: now }), ...GET } }), 'dpop_key_mismatch');
    await expectRefused(verifier.verify(token, { scheme: 'DPoP', dpop: { proof: await client.proof({ method: 'PUT', url: URL_, token, iat: now }), ...GET } }), 'dpop_proof_invalid');
    await verifier.verify(await key.sign(claims(now)));
    expect(store.calls).toEqual([]);
  });
});
