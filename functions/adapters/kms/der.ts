import { createPublicKey, type KeyObject } from 'node:crypto';
import { publicJwkFromKeyObject, SigningError, type PublicSigningJwk } from '../../oauth/jws.ts';
import type { SigningAlgorithm } from '../../oauth/signer.ts';

/**
 * The DER that KMS speaks and JWS does not: ECDSA signatures (KMS returns DER, JWS needs raw
 * r‖s) and public keys (`GetPublicKey` returns a DER SubjectPublicKeyInfo). Only the KMS
 * adapter needs them.
 */

const ES256_COORDINATE_BYTES = 32;

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
