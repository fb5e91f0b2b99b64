import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, VerificationError, type Verifier } from '../../functions/verifier/index.ts';
import { assemble, claims, expectRefused, ISSUER, JwksServer, ManualClock, signingKey, split } from './support.ts';

describe('claims checks (own keys, frozen clock)', () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let clock: ManualClock;
  let verifier: Verifier;
  let now: number;
  beforeAll(async () => {
    key = await signingKey('ES256');
    now = Math.floor(Date.now() / 1000);
    clock = new ManualClock(now * 1000);
    verifier = createVerifier({ issuer: ISSUER, audience: ['orders-api', 'https://orders.example.com'], fetch: new JwksServer([key.jwk]).fetch, clock });
  });

  it('accepts a valid token and returns its claims', async () => {
    const verified = await verifier.verify(await key.sign(claims(now, { fid: 'family', sid: 'session', acr: 'urn:x' })));
    expect(verified).toMatchObject({ iss: ISSUER, sub: 'alice', aud: 'orders-api', client_id: 'web', scope: 'openid orders:read', fid: 'family' });
  });

  it('accepts typ in its media-type form, any audience of the API, and aud as an array', async () => {
    await verifier.verify(await key.sign(claims(now), { typ: 'application/AT+JWT' }));
    await verifier.verify(await key.sign(claims(now, { aud: 'https://orders.example.com' })));
    await verifier.verify(await key.sign(claims(now, { aud: ['billing-api', 'orders-api'] })));
  });

  it.each([
    ['an ID token (typ JWT)', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['a logout token', { typ: 'logout+jwt' }],
  ])('refuses %s as wrong_token_type', async (_, header) => {
    await expectRefused(verifier.verify(await key.sign(claims(now), header)), 'wrong_token_type');
  });

  it('exp, nbf and iat hold within the 30 s tolerance, and not beyond', async () => {
    await verifier.verify(await key.sign(claims(now, { exp: now - 29 })));
    await expectRefused(verifier.verify(await key.sign(claims(now, { exp: now - 30 }))), 'token_expired');
    await verifier.verify(await key.sign(claims(now, { nbf: now + 29 })));
    await expectRefused(verifier.verify(await key.sign(claims(now, { nbf: now + 31 }))), 'token_not_yet_valid');
    await verifier.verify(await key.sign(claims(now, { iat: now + 29 })));
    await expectRefused(verifier.verify(await key.sign(claims(now, { iat: now + 31 }))), 'token_not_yet_valid');
  });

  it('clockToleranceSeconds: 0 is strict', async () => {
    const strict = createVerifier({ issuer: ISSUER, audience: 'orders-api', clockToleranceSeconds: 0, fetch: new JwksServer([key.jwk]).fetch, clock });
    await strict.verify(await key.sign(claims(now, { exp: now + 1 })));
    await expectRefused(strict.verify(await key.sign(claims(now, { exp: now }))), 'token_expired');
  });

  it.each(['sub', 'jti', 'client_id', 'exp', 'iat'])('refuses a token without %s as malformed_token', async (name) => {
    await expectRefused(verifier.verify(await key.sign(claims(now, { [name]: undefined }))), 'malformed_token');
  });

  it.each([
    ['scope', 42],
    ['auth_time', '1700000000'],
    ['exp', '1900000000'],
    ['nbf', null],
  ])('refuses a %s of the wrong type', async (name, value) => {
    await expectRefused(verifier.verify(await key.sign(claims(now, { [name]: value }))), 'malformed_token');
  });

  it('requires the scopes of the verifier and of the call, as whole words', async () => {
    const scoped = createVerifier({ issuer: ISSUER, audience: 'orders-api', requiredScopes: ['orders:read'], fetch: new JwksServer([key.jwk]).fetch, clock });
    await scoped.verify(await key.sign(claims(now)));
    await expectRefused(scoped.verify(await key.sign(claims(now, { scope: 'openid' }))), 'missing_scope');
    await expectRefused(scoped.verify(await key.sign(claims(now, { scope: 'orders:read-only' }))), 'missing_scope');
    await expectRefused(scoped.verify(await key.sign(claims(now, { scope: undefined }))), 'missing_scope');
    const error = await expectRefused(scoped.verify(await key.sign(claims(now)), { requiredScopes: ['orders:write'] }), 'missing_scope');
    expect((error as unknown as { requiredScopes: string[] }).requiredScopes).toEqual(['orders:read', 'orders:write']);
  });

  it('refuses what is not a JWS as malformed_token', async () => {
    const token = await key.sign(claims(now));
    const { header, payload, signature } = split(token);
    for (const bad of [
      '',
      'lsa_opaqueaccesstokenvalue',
      token.split('.').slice(0, 2).join('.'),
      `${token}.extra`,
      `!!!.${token.split('.')[1]}.${signature}`,
      assemble([header], payload, signature),
      `${Buffer.from('{"alg":"ES256",').toString('base64url')}.${token.split('.')[1]}.${signature}`,
      assemble({ ...header, crit: ['exp'], exp: 1 }, payload, signature),
      'a'.repeat(20_000),
    ]) {
      await expectRefused(verifier.verify(bad), 'malformed_token');
    }
    await expectRefused(verifier.verify(42 as unknown as string), 'malformed_token');
  });

  it('fuzz: any input is refused with a known error, never anything else', async () => {
    const token = await key.sign(claims(now));
    const [h, p, s] = token.split('.') as [string, string, string];
    const segment = fc.oneof(fc.constantFrom(h, p, s, ''), fc.base64String().map((value) => value.replace(/=+$/, '')), fc.string());
    const json = fc.json().map((value) => Buffer.from(value).toString('base64url'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.tuple(segment, segment, segment).map((parts) => parts.join('.')), fc.tuple(json, json, segment).map((parts) => parts.join('.'))),
        async (input) => {
          if (input === token) return;
          const outcome = await verifier.verify(input).then(
            () => 'accepted',
            (error: unknown) => error,
          );
          expect(outcome).toBeInstanceOf(VerificationError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
