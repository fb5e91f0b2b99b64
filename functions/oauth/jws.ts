import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, type JWTPayload } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signer.ts';

/** Protected header of every JWS Lifespan issues. */
export interface JwsProtectedHeader {
  readonly alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the signing key's public JWK. */
  readonly kid: string;
  /** `at+jwt` for access tokens, `JWT` for ID tokens. */
  readonly typ: string;
}

/**
 * Produces the JWS signature over `signingInput` (the ASCII bytes of
 * `base64url(header).base64url(payload)`), already in JWS form: PKCS#1 v1.5 bytes for RS256,
 * raw 64-byte r‖s for ES256.
 */
export type SignBytes = (signingInput: Uint8Array) => Promise<Uint8Array>;

/** A public signing key as published in the JWKS. */
export interface PublicSigningJwk extends JWK {
  readonly kty: 'RSA' | 'EC';
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly use: 'sig';
}

/** Stable codes of {@link SigningError}. */
export type SigningErrorCode =
  | 'ERR_SIGNING_KEY_UNSUPPORTED'
  | 'ERR_SIGNING_KEY_FILE_INVALID'
  | 'ERR_SIGNATURE_MALFORMED';

/**
 * A signing key or signature that Lifespan cannot use: a KMS key of the wrong spec or usage,
 * an invalid local key file, a malformed signature from the signing backend. These are
 * configuration or backend faults, never the token requester's, so callers answer `server_error`.
 */
export class SigningError extends Error {
  readonly code: SigningErrorCode;

  constructor(code: SigningErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningError';
    this.code = code;
  }
}

const ES256_COORDINATE_BYTES = 32;
const RSA_MIN_MODULUS_BITS = 2048;

/** Type guard for the algorithms Lifespan signs with; `none` and HMAC are never accepted. */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * Assembles a compact JWS: encodes header and payload, asks `signBytes` for the signature over
 * the signing input and joins the three parts.
 *
 * @throws TypeError when the header is not RS256/ES256 with a `kid` and `typ`, or the payload is not an object.
 * @throws SigningError when `signBytes` returns a signature of impossible length for `alg`.
 *
 * @example
 * ```ts
 * const jwt = await signCompactJws({ alg: 'ES256', kid, typ: 'at+jwt' }, claims, async (input) =>
 *   sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }),
 * );
 * ```
 */
export async function signCompactJws(
  header: JwsProtectedHeader,
  payload: JWTPayload,
  signBytes: SignBytes,
): Promise<string> {
  if (!isSigningAlgorithm(header.alg)) {
    throw new TypeError(`JWS alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, got ${String(header.alg)}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new TypeError('JWS kid must be a non-empty string');
  if (typeof header.typ !== 'string' || header.typ === '') throw new TypeError('JWS typ must be a non-empty string');
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError('JWT payload must be a plain object');
  }
  // Only the three known members: nothing else a caller passed can reach the protected header.
  const encodedHeader = base64url(JSON.stringify({ alg: header.alg, kid: header.kid, typ: header.typ }));
  const signingInput = `${encodedHeader}.${base64url(JSON.stringify(payload))}`;
  const signature = await signBytes(new TextEncoder().encode(signingInput));
  assertSignatureLength(header.alg, signature);
  return `${signingInput}.${base64url(signature)}`;
}

/**
 * Public JWK of a key (public or private: only public members are exported), with `alg`,
 * `use: 'sig'` and `kid` = RFC 7638 thumbprint.
 *
 * @throws TypeError when `alg` is not RS256/ES256.
 * @throws SigningError when the key does not fit `alg`.
 */
export async function publicJwkFromKeyObject(key: KeyObject, alg: SigningAlgorithm): Promise<PublicSigningJwk> {
  if (!isSigningAlgorithm(alg)) throw new TypeError(`alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  assertKeyFitsAlgorithm(key, alg);
  const exported = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  // Copy only the members of the key type so a private or unexpected member can never be published.
  const member = (name: 'n' | 'e' | 'crv' | 'x' | 'y'): string => {
    const value = exported[name];
    if (typeof value !== 'string') throw new SigningError('ERR_SIGNING_KEY_UNSUPPORTED', `the ${alg} public key has no ${name}`);
    return value;
  };
  const members: JWK =
    exported.kty === 'RSA'
      ? { kty: 'RSA', n: member('n'), e: member('e') }
      : { kty: 'EC', crv: member('crv'), x: member('x'), y: member('y') };
  const kid = await calculateJwkThumbprint(members, 'sha256');
  return Object.freeze({ ...members, kty: members.kty as 'RSA' | 'EC', alg, kid, use: 'sig' as const });
}

/**
 * Checks that `key` is the key type JWS `alg` names.
 *
 * @throws SigningError when it is not.
 */
export function assertKeyFitsAlgorithm(key: KeyObject, alg: SigningAlgorithm): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < RSA_MIN_MODULUS_BITS) {
      throw new SigningError(
        'ERR_SIGNING_KEY_UNSUPPORTED',
        `RS256 needs an RSA key of at least ${RSA_MIN_MODULUS_BITS} bits, got ${describeKey(key)}`,
      );
    }
    return;
  }
  if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
    throw new SigningError('ERR_SIGNING_KEY_UNSUPPORTED', `ES256 needs a P-256 EC key, got ${describeKey(key)}`);
  }
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  const size = details.namedCurve ?? (details.modulusLength === undefined ? '' : `${details.modulusLength} bits`);
  return `${key.asymmetricKeyType ?? key.type} ${size}`.trim();
}

function assertSignatureLength(alg: SigningAlgorithm, signature: Uint8Array): void {
  const ok =
    alg === 'ES256' ? signature.length === ES256_COORDINATE_BYTES * 2 : signature.length >= RSA_MIN_MODULUS_BITS / 8;
  if (!ok) throw new SigningError('ERR_SIGNATURE_MALFORMED', `${alg} signature of ${signature.length} bytes`);
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}
