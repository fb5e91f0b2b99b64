/** Time source: milliseconds since the epoch. Inject one to freeze or move time in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The part of `fetch` the verifier uses: GET of the JWKS, POST to the introspection endpoint.
 * `globalThis.fetch` fits; tests inject their own.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The JWS algorithms Lifespan signs with, and the only ones the verifier accepts. */
export type VerifierAlgorithm = 'RS256' | 'ES256';

/**
 * The claims of a verified Lifespan access token (RFC 9068 and Lifespan's own). Every member
 * listed here has been type-checked; anything else the token carries is passed through as
 * `unknown`.
 */
export interface VerifiedClaims {
  readonly iss: string;
  /** The user, or the client itself for client-credentials tokens. */
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti: string;
  /** The client the token was issued to. */
  readonly client_id: string;
  /** Space-separated scopes (RFC 9068 §2.2.3). */
  readonly scope?: string;
  /** When the user last actively authenticated (epoch seconds); absent for client credentials. */
  readonly auth_time?: number;
  readonly acr?: string;
  /** The SSO session the token came from. */
  readonly sid?: string;
  /** The refresh-token family the token was issued under (Lifespan). */
  readonly fid?: string;
  /** RFC 9449 §6: the token is bound to the key with this RFC 7638 thumbprint, and accepted only with a DPoP proof by it. */
  readonly cnf?: { readonly jkt: string };
  readonly [claim: string]: unknown;
}
