import type { JSONWebKeySet, JWTPayload } from 'jose';

/** The JWS algorithms Lifespan signs with. `none` and HMAC are never used or accepted. */
export type SigningAlgorithm = 'RS256' | 'ES256';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256'];

/**
 * Port: signs JWTs with the active key and publishes the public keys.
 * Adapters: KMS (functions/adapters/kms) and a local key file (functions/adapters/local).
 */
export interface Signer {
  /**
   * Signs `payload` as a compact JWS. The protected header carries `alg` and `kid` of the
   * active key and the given `typ` (`at+jwt` for access tokens, `JWT` for ID tokens).
   */
  signJwt(payload: JWTPayload, typ: string): Promise<string>;
  /** Algorithm of the active signing key (needed, for example, to compute `at_hash`). */
  algorithm(): Promise<SigningAlgorithm>;
  /** Public keys: the active key first, then every key still in rotation. `kid` = RFC 7638 thumbprint. */
  jwks(): Promise<JSONWebKeySet>;
}
