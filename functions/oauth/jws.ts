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
 * Converts a DER-encoded ECDSA signature (`SEQUENCE { r INTEGER, s INTEGER }`, what KMS and
 * OpenSSL return) into the fixed-width r‖s that JWS requires (RFC 7518 §3.4).
 *
 * @param coordinateBytes width of r and s: 32 for P-256.
 * @throws SigningError when `der` is not a strict DER encoding of two positive integers that fit.
 *
 * @example
 * ```ts
 * const raw = ecdsaDerToRaw(kmsSignature); // 64 bytes for ES256
 * ```
 */
export function ecdsaDerToRaw(der: Uint8Array, coordinateBytes: number = ES256_COORDINATE_BYTES): Uint8Array {
  const reader = new DerReader(der);
  reader.expectByte(0x30, 'SEQUENCE tag');
  const sequenceLength = reader.readLength();
  if (sequenceLength !== reader.remaining) malformed(`SEQUENCE length ${sequenceLength} but ${reader.remaining} bytes follow`);
  const raw = new Uint8Array(coordinateBytes * 2);
  raw.set(readUnsignedInteger(reader, coordinateBytes, 'r'), 0);
  raw.set(readUnsignedInteger(reader, coordinateBytes, 's'), coordinateBytes);
  if (reader.remaining !== 0) malformed(`${reader.remaining} trailing bytes`);
  return raw;
}

/**
 * Public JWK of a DER SubjectPublicKeyInfo (what KMS `GetPublicKey` returns), with `alg`,
 * `use: 'sig'` and `kid` = RFC 7638 thumbprint.
 *
 * @throws SigningError when the key is unreadable or does not fit `alg` (RS256 needs RSA ≥ 2048 bits, ES256 needs P-256).
 */
export async function publicJwkFromSpki(der: Uint8Array, alg: SigningAlgorithm): Promise<PublicSigningJwk> {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SigningError('ERR_SIGNING_KEY_UNSUPPORTED', 'public key is not a valid DER SubjectPublicKeyInfo', { cause });
  }
  return publicJwkFromKeyObject(key, alg);
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
  const members: JWK =
    exported.kty === 'RSA'
      ? { kty: 'RSA', n: exported.n, e: exported.e }
      : { kty: 'EC', crv: exported.crv, x: exported.x, y: exported.y };
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

function malformed(detail: string): never {
  throw new SigningError('ERR_SIGNATURE_MALFORMED', `malformed DER ECDSA signature: ${detail}`);
}

/** Reads a DER INTEGER that must be positive and minimally encoded, left-padded to `width` bytes. */
function readUnsignedInteger(reader: DerReader, width: number, name: string): Uint8Array {
  reader.expectByte(0x02, `INTEGER tag of ${name}`);
  const length = reader.readLength();
  if (length === 0) malformed(`${name} is empty`);
  let bytes = reader.read(length, name);
  const first = bytes[0] ?? 0;
  if (first & 0x80) malformed(`${name} is negative`);
  if (first === 0x00 && bytes.length > 1) {
    // DER pads with one zero byte only to keep a high bit from reading as a sign.
    if (((bytes[1] ?? 0) & 0x80) === 0) malformed(`${name} has a non-minimal encoding`);
    bytes = bytes.subarray(1);
  }
  if (bytes.length > width) malformed(`${name} is longer than ${width} bytes`);
  if (bytes.every((byte) => byte === 0)) malformed(`${name} is zero`);
  const padded = new Uint8Array(width);
  padded.set(bytes, width - bytes.length);
  return padded;
}

class DerReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('DER signature must be a Uint8Array');
    this.#bytes = bytes;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  expectByte(expected: number, what: string): void {
    const actual = this.#bytes[this.#offset];
    if (actual !== expected) malformed(`expected ${what} 0x${expected.toString(16)}`);
    this.#offset += 1;
  }

  /** Short form, or the one-byte long form (lengths 128–255) that P-521 would need. */
  readLength(): number {
    const first = this.read(1, 'length')[0] ?? 0;
    if (first < 0x80) return first;
    if (first !== 0x81) malformed('unsupported length encoding');
    const length = this.read(1, 'length')[0] ?? 0;
    if (length < 0x80) malformed('non-minimal length encoding');
    return length;
  }

  read(length: number, what: string): Uint8Array {
    if (length > this.remaining) malformed(`${what} runs past the end`);
    const bytes = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }
}
