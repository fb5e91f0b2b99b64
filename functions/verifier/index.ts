/**
 * `lifespan/verifier`: what an API needs to accept Lifespan access tokens — local JWT
 * verification against the issuer's JWKS, DPoP-bound tokens (RFC 9449) with their proofs,
 * step-up freshness (RFC 9470), an optional online check through introspection, and a middy
 * middleware for API Gateway HTTP API handlers.
 *
 * @packageDocumentation
 */
export { createVerifier, type Verifier, type VerifyOptions } from './verify.ts';
export type { VerifierOptions } from './options.ts';
export { DPOP_REPLAY_MEMORY_ENTRIES, type DpopReplayStore, type DpopRequest, type TokenScheme } from './dpop.ts';
export { DPOP_SIGNING_ALGORITHMS } from '../oauth/dpop/proof.ts';
export type { OnlineCheckOptions } from './online.ts';
export { requireRecentAuthentication, DEFAULT_MAX_AUTH_AGE_SECONDS } from './step-up.ts';
export { lifespanAuth, type LifespanAuthOptions, type LifespanAuthorizedEvent, type LifespanAuthorizerContext } from './middleware.ts';
export type { Clock, FetchLike, VerifiedClaims, VerifierAlgorithm } from './types.ts';
export {
  VerificationError,
  InvalidToken,
  MalformedToken,
  WrongTokenType,
  UnsupportedAlgorithm,
  UnknownKey,
  InvalidSignature,
  WrongIssuer,
  WrongAudience,
  TokenExpired,
  TokenNotYetValid,
  TokenRevoked,
  WrongTokenScheme,
  InvalidDpopProof,
  DpopProofMissing,
  DpopProofInvalid,
  DpopProofReplayed,
  DpopKeyMismatch,
  MissingScope,
  InsufficientUserAuthentication,
  VerifierUnavailable,
  JwksUnavailable,
  IntrospectionUnavailable,
  DpopReplayStoreUnavailable,
  type VerificationErrorCode,
  type AnyVerificationError,
} from './errors.ts';
