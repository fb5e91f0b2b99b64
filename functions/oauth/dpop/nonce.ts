import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Server nonces for DPoP proofs (RFC 9449 §8), stateless: a nonce names a time window and
 * carries a MAC of it under a server-held key, so any instance can issue and check one with no
 * storage and no call. A nonce is accepted in its own window and the next, so it lives between
 * {@link NONCE_WINDOW_SECONDS} and twice that.
 */
export interface DpopNonces {
  /** The nonce to hand out now (in `DPoP-Nonce`). */
  issue(now: number): Promise<string>;
  /** Whether `nonce` is one this server issued in the current or the previous window. */
  accepts(nonce: string, now: number): Promise<boolean>;
}

export const NONCE_WINDOW_SECONDS = 300;
const NONCE = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/;

/** {@link DpopNonces} under an in-memory HMAC key (locally the key file's, in AWS one KMS derives). */
export class HmacDpopNonces implements DpopNonces {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new TypeError('the DPoP nonce key must be at least 256 bits');
    this.#key = Buffer.from(key);
  }

  #mac(window: number): Buffer {
    return createHmac('sha256', this.#key).update(`dpop-nonce\0${window}`).digest().subarray(0, 16);
  }

  async issue(now: number): Promise<string> {
    const window = Math.floor(now / NONCE_WINDOW_SECONDS);
    return `${window.toString(36)}.${this.#mac(window).toString('base64url')}`;
  }

  async accepts(nonce: string, now: number): Promise<boolean> {
    const match = NONCE.exec(nonce);
    if (!match) return false;
    const window = Number.parseInt(match[1]!, 36);
    const current = Math.floor(now / NONCE_WINDOW_SECONDS);
    if (window !== current && window !== current - 1) return false;
    return timingSafeEqual(Buffer.from(match[2]!, 'base64url'), this.#mac(window));
  }
}
