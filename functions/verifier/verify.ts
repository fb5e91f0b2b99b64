import { compactVerify, errors } from 'jose';
import { JKT } from '../oauth/dpop/proof.ts';
import {
  InvalidSignature,
  MalformedToken,
  MissingScope,
  TokenExpired,
  TokenNotYetValid,
  UnknownKey,
  UnsupportedAlgorithm,
  WrongAudience,
  WrongIssuer,
  WrongTokenType,
} from './errors.ts';
import { checkBinding, MemoryDpopReplayStore, requestBinding, type DpopRequest, type TokenScheme } from './dpop.ts';
import { JwksCache } from './jwks-cache.ts';
import { OnlineCheck } from './online.ts';
import { resolveVerifierOptions, scopeList, type ResolvedVerifierOptions, type VerifierOptions } from './options.ts';
import { assertMaxAge, requireRecentAuthentication } from './step-up.ts';
import type { VerifiedClaims, VerifierAlgorithm } from './types.ts';

/** Per-call requirements, on top of those given to {@link createVerifier}. */
export interface VerifyOptions {
  /** Scopes this call needs, in addition to the verifier's own `requiredScopes`. */
  readonly requiredScopes?: readonly string[];
  /** Step-up (RFC 9470): the user must have authenticated at most this many seconds ago (undefined: no such check). */
  readonly maxAuthAge?: number | undefined;
  /**
   * The scheme the token came with: `DPoP` for `Authorization: DPoP <token>` (RFC 9449 §7.1).
   * A DPoP-bound token is refused as `Bearer`, a token that is not bound is refused as `DPoP`.
   * @default 'Bearer'
   */
  readonly scheme?: TokenScheme;
  /**
   * The request's DPoP proof, method and URL; required with `scheme: 'DPoP'`, ignored with
   * `Bearer`. The `lifespanAuth` middleware fills in both.
   */
  readonly dpop?: DpopRequest;
}

/** Verifies Lifespan access tokens for one API. Create one per process and reuse it: it holds the key cache. */
export interface Verifier {
  readonly issuer: string;
  readonly audience: readonly string[];
  /**
   * Verifies a JWT access token and returns its claims.
   *
   * @throws VerificationError (a subclass, with its `code`) when the token or its DPoP proof is refused, or cannot be checked.
   * @throws TypeError when `options` are invalid (`scheme: 'DPoP'` without `dpop`, for example).
   */
  verify(token: string, options?: VerifyOptions): Promise<VerifiedClaims>;
}

/** Longer than any token Lifespan issues by far; anything larger is refused before parsing. */
const MAX_TOKEN_LENGTH = 16_384;
const ALGORITHMS: readonly string[] = ['RS256', 'ES256'] satisfies readonly VerifierAlgorithm[];
const SEGMENT = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(): never {
  throw new MalformedToken('the access token is not a well-formed JWT');
}

function jsonObject(segment: string): Record<string, unknown> {
  if (segment === '' || !SEGMENT.test(segment)) malformed();
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    malformed();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed();
  return value as Record<string, unknown>;
}

/** RFC 9068 §4: `at+jwt`, or the full media type, compared without regard to case. */
function isAccessTokenType(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'at+jwt';
}

/** The header checks that need no key: structure, algorithm, type, key id. */
function checkHeader(token: string): { alg: VerifierAlgorithm; kid: string } {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) malformed();
  const parts = token.split('.');
  if (parts.length !== 3) malformed();
  const header = jsonObject(parts[0]!);
  const { alg, kid, typ, crit } = header;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) {
    throw new UnsupportedAlgorithm('the access token is signed with an algorithm that is not accepted');
  }
  // Lifespan never marks header members critical; an extension we do not know must be refused.
  if (crit !== undefined) malformed();
  if (!isAccessTokenType(typ)) throw new WrongTokenType('the token is not an access token');
  if (typeof kid !== 'string' || kid === '') throw new UnknownKey('the access token does not name its signing key');
  return { alg: alg as VerifierAlgorithm, kid };
}

/** Signature over header and payload with the JWKS key; returns the payload bytes. */
async function checkSignature(token: string, header: { alg: VerifierAlgorithm; kid: string }, keys: JwksCache): Promise<Uint8Array> {
  const key = await keys.key(header.kid);
  if (key.alg !== header.alg) throw new UnsupportedAlgorithm('the access token is signed with an algorithm its key is not for');
  try {
    return (await compactVerify(token, key.key, { algorithms: [key.alg] })).payload;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new InvalidSignature('the access token signature is not valid');
    if (error instanceof errors.JOSEError) malformed();
    throw error;
  }
}

function optionalType(claims: Record<string, unknown>, name: string, type: 'string' | 'number'): void {
  const value = claims[name];
  if (value !== undefined && (typeof value !== type || (type === 'number' && !Number.isFinite(value)))) malformed();
}

/** Claims of the token, against the issuer, the audience and the clock. */
function checkClaims(payload: Uint8Array, options: ResolvedVerifierOptions): VerifiedClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(payload));
  } catch {
    malformed();
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) malformed();
  const c = claims as Record<string, unknown>;
  if (c['iss'] !== options.issuer) throw new WrongIssuer('the access token was issued by another issuer');
  const aud = c['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((value) => typeof value === 'string' && options.audience.includes(value))) {
    throw new WrongAudience('the access token is meant for another audience');
  }
  for (const name of ['exp', 'iat'] as const) if (typeof c[name] !== 'number' || !Number.isFinite(c[name])) malformed();
  for (const name of ['sub', 'jti', 'client_id'] as const) if (typeof c[name] !== 'string' || c[name] === '') malformed();
  optionalType(c, 'nbf', 'number');
  optionalType(c, 'auth_time', 'number');
  for (const name of ['scope', 'acr', 'sid', 'fid'] as const) optionalType(c, name, 'string');
  checkConfirmation(c['cnf']);

  const now = options.clock.now() / 1000;
  const tolerance = options.clockToleranceSeconds;
  if (now - tolerance >= (c['exp'] as number)) throw new TokenExpired('the access token has expired');
  if ((c['nbf'] as number | undefined) !== undefined && (c['nbf'] as number) > now + tolerance) {
    throw new TokenNotYetValid('the access token is not valid yet');
  }
  if ((c['iat'] as number) > now + tolerance) throw new TokenNotYetValid('the access token was issued in the future');
  return c as VerifiedClaims;
}

/** RFC 9449 §6.1: a `cnf` must bind the token to a key thumbprint; a confirmation this verifier cannot check must not make the token a bearer one. */
function checkConfirmation(cnf: unknown): void {
  if (cnf === undefined) return;
  const jkt = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  if (typeof jkt !== 'string' || !JKT.test(jkt)) throw new MalformedToken('the access token has a cnf claim without a valid jkt');
}

function checkScopes(claims: VerifiedClaims, required: readonly string[]): void {
  if (required.length === 0) return;
  const granted = new Set((claims.scope ?? '').split(' '));
  if (!required.every((scope) => granted.has(scope))) throw new MissingScope(required);
}

/**
 * Creates a verifier of Lifespan access tokens (RFC 9068 JWTs) for one API.
 *
 * `verify` accepts a token only when all of this holds, and throws a typed error naming the
 * first thing that does not:
 * - a compact JWS whose header says `typ: at+jwt` (ID tokens are refused, `wrong_token_type`)
 *   and `alg` RS256 or ES256 (`none`, HMAC and everything else: `unsupported_algorithm`);
 * - signed by the key its `kid` names in the issuer's JWKS, with that key's own algorithm
 *   (`unknown_key`, `unsupported_algorithm`, `invalid_signature`). Keys embedded in the token
 *   (`jwk`, `jku`, `x5c`, `x5u`) are never used;
 * - `iss` is the issuer, `aud` contains the audience (`wrong_issuer`, `wrong_audience`);
 * - `exp`, `nbf`, `iat` hold within `clockToleranceSeconds` (`token_expired`, `token_not_yet_valid`);
 * - `sub`, `jti`, `client_id` are present, and a `cnf` holds a `jkt` thumbprint (`malformed_token`);
 * - DPoP (RFC 9449 §7): a token bound to a key (`cnf.jkt`) comes with `scheme: 'DPoP'` and a
 *   proof signed by that key, for this request's method and URL (`dpop`), with `ath` the hash
 *   of this token, recent, and never seen before (`dpop_proof_missing`, `dpop_proof_invalid`,
 *   `dpop_key_mismatch`, `dpop_proof_replayed`); a bound token sent as Bearer, or a token that
 *   is not bound sent as DPoP, is `wrong_token_scheme`. Tokens that are not bound, sent as
 *   Bearer, need nothing more;
 * - the `scope` claim holds every required scope (`missing_scope`);
 * - with `maxAuthAge`, the user authenticated recently enough (`insufficient_user_authentication`);
 * - in online mode, the issuer's introspection says the token is active (`token_revoked`).
 *
 * Keys: the JWKS (default `${issuer}/jwks.json`) is fetched on first use and kept. A token
 * whose `kid` is unknown triggers one refetch, at most once per `jwksCooldownSeconds`, shared
 * by every token waiting on it, so a burst of unknown-key tokens cannot make a burst of
 * requests. No other failure causes a fetch. The key cache is not jose's
 * `createRemoteJWKSet`: that one also refetches on a timer (`cacheMaxAge`) and on any
 * non-matching key (an HMAC header included), and its cooldown cannot follow an injected clock.
 *
 * Replay: each accepted proof's `jti` is remembered for the proof's lifetime (60 s after its
 * `iat`, plus `clockToleranceSeconds`, which is also the proof's tolerated skew), by default in
 * memory (10,000 proofs, the expired and then the oldest dropped when full), which stops a
 * replay only at the same instance; give `dpopReplayStore` to share it.
 *
 * Lifespan's opaque access tokens (`access_token_format: opaque`) cannot be verified locally:
 * they are refused as `malformed_token`; introspect them instead.
 *
 * @throws TypeError when an option is invalid (for example `clockToleranceSeconds` outside 0–300).
 *
 * @example
 * ```ts
 * import { createVerifier, MissingScope } from 'lifespan/verifier';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'orders-api',
 *   requiredScopes: ['orders:read'],
 * });
 * const claims = await verifier.verify(token, { requiredScopes: ['orders:write'], maxAuthAge: 300 });
 * console.log(claims.sub, claims.scope);
 *
 * // A token sent as `Authorization: DPoP <token>` with its proof in the `DPoP` header:
 * const bound = await verifier.verify(token, {
 *   scheme: 'DPoP',
 *   dpop: { proof: headers['dpop'], method: 'POST', url: 'https://api.example.com/orders' },
 * });
 * console.log(bound.cnf?.jkt);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveVerifierOptions(options);
  const keys = new JwksCache({
    uri: resolved.jwksUri,
    fetch: resolved.fetch,
    clock: resolved.clock,
    cooldownMs: resolved.jwksCooldownSeconds * 1000,
    timeoutMs: resolved.httpTimeoutMs,
  });
  const replays = resolved.dpopReplayStore ?? new MemoryDpopReplayStore();
  const online = resolved.online && new OnlineCheck(resolved.online, { fetch: resolved.fetch, clock: resolved.clock, timeoutMs: resolved.httpTimeoutMs });
  return Object.freeze({
    issuer: resolved.issuer,
    audience: resolved.audience,
    async verify(token: string, verifyOptions: VerifyOptions = {}): Promise<VerifiedClaims> {
      const extraScopes = scopeList(verifyOptions.requiredScopes, 'requiredScopes');
      if (verifyOptions.maxAuthAge !== undefined) assertMaxAge(verifyOptions.maxAuthAge, 'maxAuthAge');
      const { scheme, dpop } = requestBinding(verifyOptions.scheme, verifyOptions.dpop);
      const header = checkHeader(token);
      const payload = await checkSignature(token, header, keys);
      const claims = checkClaims(payload, resolved);
      await checkBinding(token, claims, { scheme, dpop, now: resolved.clock.now() / 1000, skew: resolved.clockToleranceSeconds, replays });
      checkScopes(claims, [...new Set([...resolved.requiredScopes, ...extraScopes])]);
      if (verifyOptions.maxAuthAge !== undefined) requireRecentAuthentication(claims, verifyOptions.maxAuthAge, resolved.clock);
      if (online) await online.check(token, claims.exp);
      return claims;
    },
  });
}
