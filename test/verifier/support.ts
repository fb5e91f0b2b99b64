import { createHmac } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { accessTokenHash } from '../../functions/oauth/dpop/proof.ts';
import type { FetchLike } from '../../functions/verifier/index.ts';
import { VerificationError, type VerificationErrorCode } from '../../functions/verifier/index.ts';

/** A clock for the verifier that moves only when told to (milliseconds, like `Date.now()`). */
export class ManualClock {
  #now: number;

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number): void {
    this.#now = ms;
  }

  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

/** A clock at `seconds` (epoch seconds). */
export const clockAt = (seconds: number) => new ManualClock(seconds * 1000);

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The three parts of a compact JWS, decoded where JSON. */
export function split(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>,
    signature: signature!,
  };
}

/** A compact JWS from parts, with whatever signature (string, already base64url) is given. */
export const assemble = (header: unknown, payload: unknown, signature = ''): string => `${encode(header)}.${encode(payload)}.${signature}`;

/** The classic confusion attack: HS256 with the public key's bytes (PEM, or the JWK JSON) as the HMAC secret. */
export function hmacWithPublicKey(header: Record<string, unknown>, payload: unknown, secret: string | Buffer): string {
  const input = `${encode({ ...header, alg: 'HS256' })}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An RSA or EC signing key of our own, with its public JWK (kid = thumbprint). */
export async function signingKey(alg: 'RS256' | 'ES256' = 'ES256'): Promise<{ alg: 'RS256' | 'ES256'; kid: string; jwk: JWK; sign: (payload: JWTPayload, header?: Record<string, unknown>) => Promise<string> }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  const jwk = { ...exported, kid, alg, use: 'sig' };
  return {
    alg,
    kid,
    jwk,
    sign: (payload, header = {}) => new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header }).sign(privateKey),
  };
}

/** What a DPoP proof (RFC 9449 §4.2) names: the request, and at a resource the access token (`ath`). */
export interface ProofFor {
  readonly method: string;
  readonly url: string;
  readonly token?: string;
  /** Epoch seconds. @default now */
  readonly iat?: number;
}

/** A client's DPoP key: its thumbprint (what `cnf.jkt` holds) and proofs signed by it. */
export async function dpopKey(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256'): Promise<{
  jkt: string;
  jwk: JWK;
  proof: (request: ProofFor, claims?: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
}> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    jwk,
    proof: (request, extra = {}, header = {}) =>
      new SignJWT({
        htm: request.method,
        htu: request.url,
        iat: request.iat ?? Math.floor(Date.now() / 1000),
        jti: crypto.randomUUID(),
        ...(request.token !== undefined && { ath: accessTokenHash(request.token) }),
        ...extra,
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header })
        .sign(privateKey),
  };
}

/** An injected fetch serving a JWKS we control, counting its requests. */
export class JwksServer {
  keys: JWK[];
  requests = 0;
  /** Set to make the next requests fail with this status. */
  failWith: number | undefined;
  readonly fetch: FetchLike;

  constructor(keys: JWK[]) {
    this.keys = keys;
    this.fetch = async (url) => {
      this.requests += 1;
      // A real network hop, so that concurrent callers truly overlap with the request.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (url !== JWKS_URI) return new Response('not found', { status: 404 });
      if (this.failWith !== undefined) return new Response('unavailable', { status: this.failWith });
      return Response.json({ keys: this.keys });
    };
  }
}

export const ISSUER = 'https://issuer.example.com';
export const JWKS_URI = `${ISSUER}/jwks.json`;

/** Claims of a valid access token for `orders-api`, issued at `now` (epoch seconds). */
export function claims(now: number, overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: 'alice',
    aud: 'orders-api',
    iat: now,
    exp: now + 900,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    client_id: 'web',
    scope: 'openid orders:read',
    auth_time: now - 60,
    ...overrides,
  };
}

/** `promise` must reject with the verifier error of `code`, and the message must not repeat `secretParts`. */
export async function expectRefused(promise: Promise<unknown>, code: VerificationErrorCode, token?: string): Promise<VerificationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(VerificationError);
  expect((error as VerificationError).code).toBe(code);
  if (token !== undefined) expectNoTokenContent((error as VerificationError).message, token);
  return error as VerificationError;
}

/** None of the token's parts, nor the string values of its header and claims, appear in `text`. */
export function expectNoTokenContent(text: string, token: string): void {
  for (const part of token.split('.')) if (part.length > 8) expect(text).not.toContain(part);
  let decoded: ReturnType<typeof split> | undefined;
  try {
    decoded = split(token);
  } catch {
    return;
  }
  for (const value of [...Object.values(decoded.header), ...Object.values(decoded.payload)]) {
    if (typeof value === 'string' && value.length > 3) expect(text).not.toContain(value);
  }
}
