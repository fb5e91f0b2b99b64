/**
 * Errors of the verifier. Each class has a stable `code`; tell them apart with `instanceof` or
 * `code`, never by message. Messages are fixed texts: they never repeat anything read from the
 * token (claims, header members, key ids), so they are safe to log and to show to clients.
 */

/** Every `code` a {@link VerificationError} can have. */
export type VerificationErrorCode =
  | 'malformed_token'
  | 'wrong_token_type'
  | 'unsupported_algorithm'
  | 'unknown_key'
  | 'invalid_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_revoked'
  | 'wrong_token_scheme'
  | 'dpop_proof_missing'
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_key_mismatch'
  | 'missing_scope'
  | 'insufficient_user_authentication'
  | 'jwks_unavailable'
  | 'introspection_unavailable'
  | 'dpop_replay_store_unavailable';

/** Base class of everything `verify` throws for a token or a dependency (never for a caller mistake: that is a `TypeError`). */
export abstract class VerificationError extends Error {
  abstract readonly code: VerificationErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The token is not acceptable at all: RFC 6750 `invalid_token` (401). */
export abstract class InvalidToken extends VerificationError {}

/** Not a compact JWS with a JSON header and claims of the right types (opaque tokens land here too). */
export class MalformedToken extends InvalidToken {
  readonly code = 'malformed_token';
}

/** `typ` is not `at+jwt`: an ID token, or some other JWT (RFC 9068 §4). */
export class WrongTokenType extends InvalidToken {
  readonly code = 'wrong_token_type';
}

/** `alg` is `none`, HMAC, or anything but RS256/ES256, or not the algorithm of the key it names. */
export class UnsupportedAlgorithm extends InvalidToken {
  readonly code = 'unsupported_algorithm';
}

/** `kid` names no key in the issuer's JWKS, even after the refetch the cooldown allows. */
export class UnknownKey extends InvalidToken {
  readonly code = 'unknown_key';
}

/** The signature does not verify with the issuer key `kid` names. */
export class InvalidSignature extends InvalidToken {
  readonly code = 'invalid_signature';
}

/** `iss` is not the issuer the verifier was made for. */
export class WrongIssuer extends InvalidToken {
  readonly code = 'wrong_issuer';
}

/** `aud` does not include the audience the verifier was made for. */
export class WrongAudience extends InvalidToken {
  readonly code = 'wrong_audience';
}

/** `exp` has passed by more than the clock tolerance. */
export class TokenExpired extends InvalidToken {
  readonly code = 'token_expired';
}

/** `nbf` or `iat` lies in the future by more than the clock tolerance. */
export class TokenNotYetValid extends InvalidToken {
  readonly code = 'token_not_yet_valid';
}

/** Online mode: the issuer's introspection answered `active: false` (revoked, family revoked, user signed out…). */
export class TokenRevoked extends InvalidToken {
  readonly code = 'token_revoked';
}

/**
 * The token came with the wrong authentication scheme (RFC 9449 §7): a DPoP-bound token (one
 * with `cnf.jkt`) sent as `Bearer` — how a stolen bound token would be tried without its key —
 * or a token that is not bound sent as `DPoP`.
 */
export class WrongTokenScheme extends InvalidToken {
  readonly code = 'wrong_token_scheme';
}

/**
 * The token is DPoP-bound but the request does not prove possession of its key: RFC 9449 §7.1
 * `invalid_dpop_proof` (401). The token itself passed every check.
 */
export abstract class InvalidDpopProof extends VerificationError {}

/** A DPoP-bound token sent with the DPoP scheme but without a `DPoP` header. */
export class DpopProofMissing extends InvalidDpopProof {
  readonly code = 'dpop_proof_missing';
}

/**
 * The proof fails a check of RFC 9449 §4.3: not one well-formed `dpop+jwt`, an algorithm not
 * accepted, a signature its `jwk` does not verify, `htm`/`htu` not this request, `iat` too old
 * or in the future, `ath` not the hash of this token. The message says which.
 */
export class DpopProofInvalid extends InvalidDpopProof {
  readonly code = 'dpop_proof_invalid';
}

/** The proof's `jti` was already accepted for this key within the proof's lifetime (RFC 9449 §11.1). */
export class DpopProofReplayed extends InvalidDpopProof {
  readonly code = 'dpop_proof_replayed';
}

/** A valid proof, signed with another key than the one the token is bound to (`cnf.jkt`). */
export class DpopKeyMismatch extends InvalidDpopProof {
  readonly code = 'dpop_key_mismatch';
}

/** The token lacks a required scope: RFC 6750 `insufficient_scope` (403). */
export class MissingScope extends VerificationError {
  readonly code = 'missing_scope';
  /** Every scope the call requires (for the `scope` attribute of the challenge), not the missing ones only. */
  readonly requiredScopes: readonly string[];

  constructor(requiredScopes: readonly string[], options?: ErrorOptions) {
    super('the access token lacks a scope this call requires', options);
    this.requiredScopes = Object.freeze([...requiredScopes]);
  }
}

/**
 * RFC 9470: the user authenticated too long ago (or the token says nothing about when). The
 * client should send the user through `/authorize` again with `max_age` = {@link maxAge}.
 */
export class InsufficientUserAuthentication extends VerificationError {
  readonly code = 'insufficient_user_authentication';
  /** Seconds: the largest acceptable time since the user last authenticated. */
  readonly maxAge: number;
  /** The RFC 9470 §3 challenge, ready for a `WWW-Authenticate` header (without a realm). */
  readonly wwwAuthenticate: string;

  constructor(maxAge: number, options?: ErrorOptions) {
    super('a more recent user authentication is required', options);
    this.maxAge = maxAge;
    this.wwwAuthenticate = `Bearer error="insufficient_user_authentication", error_description="${this.message}", max_age=${maxAge}`;
  }
}

/** The verifier could not reach what it needs: not the token's fault (503, retry later). */
export abstract class VerifierUnavailable extends VerificationError {}

/** The JWKS could not be fetched or read. Details (status, network error) are in `cause`/`message`. */
export class JwksUnavailable extends VerifierUnavailable {
  readonly code = 'jwks_unavailable';
}

/** Online mode: the introspection endpoint failed or answered something unusable; the token is refused (fail closed). */
export class IntrospectionUnavailable extends VerifierUnavailable {
  readonly code = 'introspection_unavailable';
}

/** The shared DPoP replay store (`dpopReplayStore`) failed or answered something other than a boolean; the token is refused (fail closed). */
export class DpopReplayStoreUnavailable extends VerifierUnavailable {
  readonly code = 'dpop_replay_store_unavailable';
}

/**
 * Every concrete error `verify` may throw, as a union: narrow it by `code` (a `switch` over
 * `error.code` is exhaustive) or with `instanceof`. Its `code`s are exactly
 * {@link VerificationErrorCode}.
 */
export type AnyVerificationError =
  | MalformedToken
  | WrongTokenType
  | UnsupportedAlgorithm
  | UnknownKey
  | InvalidSignature
  | WrongIssuer
  | WrongAudience
  | TokenExpired
  | TokenNotYetValid
  | TokenRevoked
  | WrongTokenScheme
  | DpopProofMissing
  | DpopProofInvalid
  | DpopProofReplayed
  | DpopKeyMismatch
  | MissingScope
  | InsufficientUserAuthentication
  | JwksUnavailable
  | IntrospectionUnavailable
  | DpopReplayStoreUnavailable;
