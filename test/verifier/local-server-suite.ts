import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type FetchLike, type Verifier } from '../../functions/verifier/index.ts';
import { codeFor, exchangeCode, expectTokens, newClient, tokenRequest, writeParameters, type TestClient, type Tokens } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { assemble, clockAt, expectRefused, hmacWithPublicKey, split } from './support.ts';

/** A user's tokens from a full login (code + PKCE through the admin API's accept). */
export async function userTokens(service: TestServer, client: TestClient, subject = 'alice'): Promise<Tokens> {
  const { code, request } = await codeFor(service, client, {}, { subject });
  return expectTokens(await exchangeCode(service, client, code, request.verifier));
}

/** A client-credentials access token (no user, no auth_time). */
export async function machineToken(service: TestServer, client: TestClient, scope: string): Promise<string> {
  return (await expectTokens(await tokenRequest(service, { grant_type: 'client_credentials', scope }, client))).access_token;
}

/** The global fetch, counting requests to the JWKS. */
export function countingFetch(): { fetch: FetchLike; jwksRequests: () => number } {
  let count = 0;
  return {
    fetch: (url, init) => {
      if (url.endsWith('/jwks.json')) count += 1;
      return fetch(url, init);
    },
    jwksRequests: () => count,
  };
}

/** The verifier's checks against tokens the local server really issued, signed with `algorithm`. */
export function verifierSuite(algorithm: 'RS256' | 'ES256'): void {
  describe(`verifying real ${algorithm} tokens from the local server`, () => {
    let service: TestServer;
    let client: TestClient;
    let tokens: Tokens;
    let counting: ReturnType<typeof countingFetch>;
    let verifier: Verifier;
    const verifierFor = (overrides: Partial<Parameters<typeof createVerifier>[0]> = {}) =>
      createVerifier({ issuer: service.url, audience: 'orders-api', fetch: counting.fetch, ...overrides });

    beforeAll(async () => {
      service = await startTestServer({ algorithm });
      client = await newClient(service, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
      tokens = await userTokens(service, client);
      counting = countingFetch();
      verifier = verifierFor();
    });
    afterAll(async () => {
      await service.server.close();
    });

    it('accepts a valid access token and returns its claims', async () => {
      const claims = await verifier.verify(tokens.access_token);
      expect(split(tokens.access_token).header).toMatchObject({ alg: algorithm, typ: 'at+jwt' });
      expect(claims).toMatchObject({ iss: service.url, sub: 'alice', aud: 'orders-api', client_id: client.client_id, scope: 'openid offline_access orders:read' });
      expect(typeof claims.auth_time).toBe('number');
      expect(typeof claims.fid).toBe('string');
      expect(await verifier.verify(await machineToken(service, client, 'orders:read'))).toMatchObject({ sub: client.client_id });
      expect(counting.jwksRequests()).toBe(1);
    });

    it('refuses the wrong audience, the wrong issuer and a missing scope, each with its code', async () => {
      const token = tokens.access_token;
      await expectRefused(verifierFor({ audience: 'billing-api' }).verify(token), 'wrong_audience', token);
      await expectRefused(verifierFor({ issuer: 'http://127.0.0.1:9', jwksUri: `${service.url}/jwks.json` }).verify(token), 'wrong_issuer', token);
      await expectRefused(verifier.verify(token, { requiredScopes: ['orders:write'] }), 'missing_scope', token);
      await expectRefused(verifierFor({ requiredScopes: ['orders:read', 'orders:write'] }).verify(token), 'missing_scope', token);
      await verifier.verify(token, { requiredScopes: ['orders:read'] });
    });

    it('refuses an ID token where an access token is expected', async () => {
      await expectRefused(verifierFor({ audience: client.client_id }).verify(tokens.id_token!), 'wrong_token_type', tokens.id_token);
    });

    it('refuses tampered claims and a tampered signature (invalid_signature)', async () => {
      const { header, payload, signature } = split(tokens.access_token);
      const claimsTampered = assemble(header, { ...payload, scope: 'openid orders:read orders:write' }, signature);
      await expectRefused(verifier.verify(claimsTampered), 'invalid_signature', claimsTampered);
      const bytes = Buffer.from(signature, 'base64url');
      bytes[10] = bytes[10]! ^ 0x01;
      const signatureTampered = `${tokens.access_token.split('.').slice(0, 2).join('.')}.${bytes.toString('base64url')}`;
      await expectRefused(verifier.verify(signatureTampered), 'invalid_signature', signatureTampered);
    });

    it('refuses alg none, HS256 keyed with the public key, and an algorithm the key is not for (unsupported_algorithm)', async () => {
      const before = counting.jwksRequests();
      const { header, payload, signature } = split(tokens.access_token);
      const none = assemble({ ...header, alg: 'none' }, payload);
      await expectRefused(verifier.verify(none), 'unsupported_algorithm', none);
      await expectRefused(verifier.verify(`${none}${signature}`), 'unsupported_algorithm');

      const jwks = (await (await fetch(`${service.url}/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
      const jwk = jwks.keys.find((key) => key['kid'] === header['kid'])!;
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      for (const secret of [publicKey.export({ type: 'spki', format: 'pem' }), publicKey.export({ type: 'spki', format: 'der' }), JSON.stringify(jwk)]) {
        const hs256 = hmacWithPublicKey(header, payload, secret);
        await expectRefused(verifier.verify(hs256), 'unsupported_algorithm', hs256);
      }
      const otherFamily = assemble({ ...header, alg: algorithm === 'RS256' ? 'ES256' : 'RS256' }, payload, signature);
      await expectRefused(verifier.verify(otherFamily), 'unsupported_algorithm', otherFamily);
      expect(counting.jwksRequests()).toBe(before);
    });

    it('refuses a kid the issuer does not publish (unknown_key)', async () => {
      const { header, payload, signature } = split(tokens.access_token);
      const unknown = assemble({ ...header, kid: 'x'.repeat(43) }, payload, signature);
      await expectRefused(verifier.verify(unknown), 'unknown_key', unknown);
      const noKid = assemble({ alg: header['alg'], typ: 'at+jwt' }, payload, signature);
      await expectRefused(verifier.verify(noKid), 'unknown_key', noKid);
    });

    it('step-up: a fresh authentication passes maxAuthAge, an old one is refused with the RFC 9470 challenge', async () => {
      const authTime = split(tokens.access_token).payload['auth_time'] as number;
      const fresh = verifierFor({ clock: clockAt(authTime + 10) });
      await fresh.verify(tokens.access_token, { maxAuthAge: 300 });
      const later = verifierFor({ clock: clockAt(authTime + 301) });
      await later.verify(tokens.access_token);
      const error = await expectRefused(later.verify(tokens.access_token, { maxAuthAge: 300 }), 'insufficient_user_authentication', tokens.access_token);
      expect(error).toMatchObject({ maxAge: 300, wwwAuthenticate: expect.stringMatching(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=300$/) });
      const machine = await machineToken(service, client, 'orders:read');
      await expectRefused(verifier.verify(machine, { maxAuthAge: 3600 }), 'insufficient_user_authentication', machine);
    });

    it('expiry: refused beyond the clock tolerance, accepted within it', async () => {
      await writeParameters(service, { access_token_ttl: 1 });
      try {
        const short = await userTokens(service, client);
        expect(short.expires_in).toBe(1);
        const exp = split(short.access_token).payload['exp'] as number;
        await verifierFor({ clock: clockAt(exp + 29) }).verify(short.access_token);
        await expectRefused(verifierFor({ clock: clockAt(exp + 31) }).verify(short.access_token), 'token_expired', short.access_token);
        await expectRefused(verifierFor({ clock: clockAt(exp + 86_400) }).verify(short.access_token), 'token_expired', short.access_token);
        await expectRefused(verifierFor({ clock: clockAt(exp + 6), clockToleranceSeconds: 5 }).verify(short.access_token), 'token_expired');
      } finally {
        await writeParameters(service, {});
      }
    });
  });
}
