/**
 * `lifespan/verifier`: what an API needs to accept Lifespan access tokens — local JWT
 * verification against the issuer's JWKS, step-up freshness (RFC 9470), an optional online
 * check through introspection, and a middy middleware for API Gateway HTTP API handlers.
 *
 * @packageDocumentation
 */
export { createVerifier, type Verifier, type VerifyOptions } from './verify.ts';
export type { VerifierOptions } from './options.ts';
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
  MissingScope,
  InsufficientUserAuthentication,
  VerifierUnavailable,
  JwksUnavailable,
  IntrospectionUnavailable,
  type VerificationErrorCode,
} from './errors.ts';
