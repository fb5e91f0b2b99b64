import { InsufficientUserAuthentication } from './errors.ts';
import { systemClock, type Clock, type VerifiedClaims } from './types.ts';

/** RFC 9470's example and a common choice for sensitive operations: five minutes. */
export const DEFAULT_MAX_AUTH_AGE_SECONDS = 300;

/** @throws TypeError when `maxAgeSeconds` is not a whole number of seconds ≥ 0. */
export function assertMaxAge(maxAgeSeconds: unknown, name = 'maxAgeSeconds'): asserts maxAgeSeconds is number {
  if (typeof maxAgeSeconds !== 'number' || !Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(`${name} must be a whole number of seconds, 0 or more`);
  }
}

/**
 * Step-up freshness (RFC 9470): requires that the user actively authenticated at most
 * `maxAgeSeconds` ago, according to the token's `auth_time`. A token without `auth_time`
 * (client credentials, for example) never passes. On refusal the error carries the
 * `WWW-Authenticate` challenge of RFC 9470 §3, which tells the client to send the user
 * through `/authorize` again with `max_age`.
 *
 * `verify(token, { maxAuthAge })` and the `lifespanAuth` middleware call this for you. No
 * clock tolerance is applied: `auth_time` is compared with what the issuer itself wrote.
 *
 * @param claims Claims of a token already verified.
 * @param maxAgeSeconds Largest acceptable age of the authentication. @default 300
 * @param clock Time source. @default the system clock
 * @throws InsufficientUserAuthentication when `auth_time` is missing or older than `maxAgeSeconds`.
 * @throws TypeError when `maxAgeSeconds` is not a whole number ≥ 0.
 *
 * @example
 * ```ts
 * const claims = await verifier.verify(token, { requiredScopes: ['payments:write'] });
 * try {
 *   requireRecentAuthentication(claims, 300);
 * } catch (error) {
 *   if (error instanceof InsufficientUserAuthentication) {
 *     return { statusCode: 401, headers: { 'www-authenticate': error.wwwAuthenticate } };
 *   }
 *   throw error;
 * }
 * ```
 */
export function requireRecentAuthentication(
  claims: Pick<VerifiedClaims, 'auth_time'>,
  maxAgeSeconds: number = DEFAULT_MAX_AUTH_AGE_SECONDS,
  clock: Clock = systemClock,
): void {
  assertMaxAge(maxAgeSeconds);
  const authTime = claims.auth_time;
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) throw new InsufficientUserAuthentication(maxAgeSeconds);
  if (clock.now() / 1000 - authTime > maxAgeSeconds) throw new InsufficientUserAuthentication(maxAgeSeconds);
}
