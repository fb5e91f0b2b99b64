import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../functions/oauth/dpop/proof.ts';

/** A DPoP key pair, its public JWK and thumbprint. */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
  readonly alg: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256'), alg };
}

export interface ProofOverrides {
  /** Header members to add, change or (with `undefined`) remove. */
  readonly header?: Record<string, unknown>;
  /** Claims to add, change or (with `undefined`) remove. */
  readonly claims?: Record<string, unknown>;
  /** Sign with this key instead (the header still names the proof key's jwk unless overridden). */
  readonly signWith?: CryptoKey | Uint8Array;
  readonly alg?: string;
  /** The access token, for `ath` (at a resource). */
  readonly accessToken?: string;
}

/** A DPoP proof (RFC 9449 §4.2) for `htm` `htu`, made by hand so each member can be broken on purpose. */
export async function proof(key: DpopKey, htm: string, htu: string, overrides: ProofOverrides = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    htm,
    htu,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    ...(overrides.accessToken !== undefined && { ath: accessTokenHash(overrides.accessToken) }),
    ...overrides.claims,
  };
  const header: Record<string, unknown> = { alg: overrides.alg ?? key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...overrides.header };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(claims).setProtectedHeader(header as never).sign(overrides.signWith ?? key.privateKey);
}

/** The claims of a JWT, unverified (the tests check them after the server or verifier did). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
