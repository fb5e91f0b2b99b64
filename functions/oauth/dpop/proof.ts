import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, EmbeddedJWK, type JWK } from 'jose';

/**
 * DPoP proofs (RFC 9449 §4): the checks every receiver makes — the token endpoint, `/userinfo`
 * and the verifier APIs use. Pure (jose and node:crypto only): the replay and nonce state is
 * the caller's, passed in or applied to what this returns.
 */

/** Asymmetric JWS algorithms a proof may use (§4.2: never `none`, never a MAC). Advertised in discovery. */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;

/** How long after its `iat` a proof is accepted (plus the clock skew tolerance either side). */
export const PROOF_MAX_AGE_SECONDS = 60;

/** Far larger than any proof (an RSA-4096 key in the header is under 1 KB); refused before parsing. */
const MAX_PROOF_LENGTH = 8_192;
/** Private (and symmetric) key members: a proof's `jwk` must carry none (§4.2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** base64url lengths of 2048-bit and 4096-bit moduli. */
const RSA_MODULUS_CHARS = { min: 342, max: 683 } as const;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A proof refused; `message` says which check failed (fit for `error_description`). */
export class DpopProofRefused extends Error {
  /** `use_dpop_nonce` when only the server nonce is missing or stale (§8), else `invalid_dpop_proof`. */
  readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce';

  constructor(message: string, code: 'invalid_dpop_proof' | 'use_dpop_nonce' = 'invalid_dpop_proof') {
    super(message);
    this.name = 'DpopProofRefused';
    this.code = code;
  }
}

/** A proof that passed every check. */
export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what tokens are bound to (`cnf.jkt`). */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** Epoch seconds after which this proof can no longer pass the `iat` check: how long its `jti` must be remembered. */
  readonly replayableUntil: number;
  /** The `nonce` claim, when the proof carried one. */
  readonly nonce?: string | undefined;
}

export interface ProofExpectations {
  /** The request's method (`htm`). */
  readonly method: string;
  /** The endpoint's URL as this server names it (`htu`, compared without query and fragment). */
  readonly url: string;
  /** Now, epoch seconds. */
  readonly now: number;
  /** Seconds of clock skew tolerated either side. */
  readonly skew: number;
  /** At a protected resource: the access token sent with the proof (`ath` must be its hash). */
  readonly accessToken?: string;
  /** Algorithms accepted. @default DPOP_SIGNING_ALGORITHMS */
  readonly algorithms?: readonly string[];
}

/** `ath` (§4.2): the base64url SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * §4.3 step 9 and RFC 3986 §6.2.2–6.2.3 normalisation: scheme and host in lower case, the
 * default port dropped, query and fragment ignored. `undefined` for anything not an absolute
 * http(s) URL.
 */
export function normalizedHtu(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The one proof a request carries: the `DPoP` header's value, or `undefined` without one. Two
 * headers arrive joined by commas (API Gateway and Node both join them), which a compact JWS
 * never contains: §4.3 step 1 allows exactly one.
 */
export function proofHeader(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  let found: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'dpop' || value === undefined) continue;
    if (found !== undefined) throw new DpopProofRefused('send exactly one DPoP proof');
    found = value;
  }
  if (found === undefined) return undefined;
  if (found.includes(',')) throw new DpopProofRefused('send exactly one DPoP proof');
  return found.trim();
}

function decodeSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw new DpopProofRefused('the DPoP proof is not a well-formed JWT');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DpopProofRefused('the DPoP proof is not a well-formed JWT');
  return value as Record<string, unknown>;
}

/** The header checks of §4.3 steps 2–7 that need no signature: type, algorithm, a public key only. */
function checkHeader(proof: string, algorithms: readonly string[]): { jwk: JWK } {
  const header = decodeSegment(proof.slice(0, proof.indexOf('.')));
  if (header['typ'] !== 'dpop+jwt') throw new DpopProofRefused('the DPoP proof must have typ "dpop+jwt"');
  if (typeof header['alg'] !== 'string' || !algorithms.includes(header['alg'])) {
    throw new DpopProofRefused('the DPoP proof must be signed with an asymmetric algorithm this server supports');
  }
  if (header['crit'] !== undefined) throw new DpopProofRefused('the DPoP proof has critical header parameters this server does not understand');
  const jwk = header['jwk'];
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DpopProofRefused('the DPoP proof must carry its public key in the jwk header');
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new DpopProofRefused('the DPoP proof jwk must be a public key');
  const { kty, n, e } = jwk as Record<string, unknown>;
  // A huge exponent or modulus makes one verification cost milliseconds: 2048-4096-bit keys, e of 4 bytes at most.
  if (kty === 'RSA' && (typeof n !== 'string' || n.length < RSA_MODULUS_CHARS.min || n.length > RSA_MODULUS_CHARS.max || typeof e !== 'string' || e.length > 6)) {
    throw new DpopProofRefused('the DPoP proof RSA key must have a 2048 to 4096-bit modulus and a small public exponent');
  }
  return { jwk: jwk as JWK };
}

/**
 * Verifies a DPoP proof against the request it came with (§4.3): one well-formed JWS of type
 * `dpop+jwt`, an asymmetric algorithm, a public `jwk` that verifies the signature, `htm` and
 * `htu` naming this request, `iat` recent, a `jti`, and at a resource an `ath` matching the
 * access token. Replay (`jti`) and server nonces are the caller's: it has the state.
 *
 * @throws DpopProofRefused when any check fails.
 */
export async function verifyDpopProof(proof: string, expect: ProofExpectations): Promise<DpopProof> {
  const algorithms = expect.algorithms ?? DPOP_SIGNING_ALGORITHMS;
  if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) throw new DpopProofRefused('the DPoP proof is not a well-formed JWT');
  const { jwk } = checkHeader(proof, algorithms);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(proof, EmbeddedJWK, { algorithms: [...algorithms] }));
  } catch {
    throw new DpopProofRefused('the DPoP proof signature does not verify with its jwk');
  }
  const claims = decodeSegment(Buffer.from(payload).toString('base64url'));
  const { htm, htu, iat, jti, ath, nonce } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new DpopProofRefused('the DPoP proof must have a jti');
  if (htm !== expect.method) throw new DpopProofRefused('the DPoP proof htm does not match the request method');
  const expectedUrl = normalizedHtu(expect.url);
  if (typeof htu !== 'string' || expectedUrl === undefined || normalizedHtu(htu) !== expectedUrl) {
    throw new DpopProofRefused('the DPoP proof htu does not match the request URL');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofRefused('the DPoP proof must have a numeric iat');
  if (iat > expect.now + expect.skew) throw new DpopProofRefused('the DPoP proof iat is in the future');
  if (iat < expect.now - expect.skew - PROOF_MAX_AGE_SECONDS) throw new DpopProofRefused('the DPoP proof is too old');
  if (expect.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== accessTokenHash(expect.accessToken)) {
      throw new DpopProofRefused('the DPoP proof ath does not match the access token');
    }
  }
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce.length > 256)) throw new DpopProofRefused('the DPoP proof nonce is malformed');
  return {
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    jti,
    iat: Math.floor(iat),
    replayableUntil: Math.ceil(iat) + expect.skew + PROOF_MAX_AGE_SECONDS,
    nonce: nonce as string | undefined,
  };
}

/** RFC 7638 SHA-256 thumbprints are 43 base64url characters: what `dpop_jkt` (§10) must look like. */
export const JKT = /^[A-Za-z0-9_-]{43}$/;
