import { assertReplayStore, type DpopReplayStore } from './dpop.ts';
import { DEFAULT_ONLINE_CACHE_TTL_SECONDS, MAX_ONLINE_CACHE_TTL_SECONDS, type OnlineCheckOptions } from './online.ts';
import { secureUrl } from '../http/urls.ts';
import { systemClock, type Clock, type FetchLike } from './types.ts';

/** What {@link createVerifier} takes. */
export interface VerifierOptions {
  /** The issuer exactly as in the tokens' `iss`, e.g. `https://auth.example.com` or `http://127.0.0.1:4000`. */
  readonly issuer: string;
  /** This API's audience (a token's `aud` must contain it); several when the API answers to more than one name. */
  readonly audience: string | readonly string[];
  /** Where the public keys are. @default `${issuer}/jwks.json` */
  readonly jwksUri?: string;
  /** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`, 0 to 300. @default 30 */
  readonly clockToleranceSeconds?: number;
  /** Scopes every token must carry; `verify` may require more per call. @default [] */
  readonly requiredScopes?: readonly string[];
  /** Seconds after a JWKS fetch before an unknown `kid` may trigger another, 1 to 3600. @default 30 */
  readonly jwksCooldownSeconds?: number;
  /** Milliseconds before a JWKS or introspection request is abandoned. @default 5000 */
  readonly httpTimeoutMs?: number;
  /** Also ask the issuer whether each token is still active; see {@link OnlineCheckOptions}. @default off */
  readonly online?: OnlineCheckOptions;
  /**
   * Where the `jti`s of accepted DPoP proofs are remembered, so a proof is accepted once. Give a
   * shared one when the API runs on several instances (every Lambda): the default only stops a
   * replay that reaches the same instance.
   * @default in memory, at most 10,000 proofs per verifier; when full, the expired ones are dropped
   * first, then the oldest (memory stays bounded; a proof dropped early could pass once more here)
   */
  readonly dpopReplayStore?: DpopReplayStore;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** {@link VerifierOptions} checked, with every default filled in. */
export interface ResolvedVerifierOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksUri: string;
  readonly clockToleranceSeconds: number;
  readonly requiredScopes: readonly string[];
  readonly jwksCooldownSeconds: number;
  readonly httpTimeoutMs: number;
  readonly online: Required<OnlineCheckOptions> | undefined;
  readonly dpopReplayStore: DpopReplayStore | undefined;
  readonly fetch: FetchLike;
  readonly clock: Clock;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
export const DEFAULT_JWKS_COOLDOWN_SECONDS = 30;
const DEFAULT_HTTP_TIMEOUT_MS = 5000;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function numberBetween(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** HTTPS, or plain HTTP to this machine only (the local server). */
function endpoint(value: unknown, name: string): string {
  const checked = secureUrl(nonEmptyString(value, name));
  if ('problem' in checked) throw new TypeError(`${name} ${checked.problem}`);
  return checked.url.toString();
}

/**
 * Scope names as RFC 6749 §3.3 defines them.
 *
 * @throws TypeError when the list or a name is not valid.
 */
export function scopeList(value: unknown, name: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of scope names`);
  for (const scope of value) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) throw new TypeError(`${name} must hold scope names (no spaces, quotes or backslashes)`);
  }
  return Object.freeze([...(value as string[])]);
}

function onlineOptions(value: OnlineCheckOptions | undefined): Required<OnlineCheckOptions> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new TypeError('online must be an object');
  const cacheTtlSeconds = numberBetween(value.cacheTtlSeconds, 'online.cacheTtlSeconds', 0, MAX_ONLINE_CACHE_TTL_SECONDS, DEFAULT_ONLINE_CACHE_TTL_SECONDS);
  return {
    introspectionEndpoint: endpoint(value.introspectionEndpoint, 'online.introspectionEndpoint'),
    clientId: nonEmptyString(value.clientId, 'online.clientId'),
    clientSecret: nonEmptyString(value.clientSecret, 'online.clientSecret'),
    cacheTtlSeconds,
  };
}

/**
 * Checks the options once, at creation: a caller mistake is a `TypeError` that names the option.
 *
 * @throws TypeError
 */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('createVerifier needs an options object');
  const issuer = nonEmptyString(options.issuer, 'issuer');
  endpoint(issuer, 'issuer');
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audiences) || audiences.length === 0) throw new TypeError('audience must be a non-empty string or a non-empty array of them');
  audiences.forEach((audience, index) => nonEmptyString(audience, `audience[${index}]`));
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  if (typeof fetchImplementation !== 'function') throw new TypeError('fetch must be a function');
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new TypeError('clock must have a now() method');
  if (options.dpopReplayStore !== undefined) assertReplayStore(options.dpopReplayStore);
  return {
    issuer,
    audience: Object.freeze([...(audiences as string[])]),
    jwksUri: endpoint(options.jwksUri ?? `${issuer.replace(/\/+$/, '')}/jwks.json`, 'jwksUri'),
    clockToleranceSeconds: numberBetween(options.clockToleranceSeconds, 'clockToleranceSeconds', 0, MAX_CLOCK_TOLERANCE_SECONDS, DEFAULT_CLOCK_TOLERANCE_SECONDS),
    requiredScopes: scopeList(options.requiredScopes, 'requiredScopes'),
    jwksCooldownSeconds: numberBetween(options.jwksCooldownSeconds, 'jwksCooldownSeconds', 1, 3600, DEFAULT_JWKS_COOLDOWN_SECONDS),
    httpTimeoutMs: numberBetween(options.httpTimeoutMs, 'httpTimeoutMs', 1, 60_000, DEFAULT_HTTP_TIMEOUT_MS),
    online: onlineOptions(options.online),
    dpopReplayStore: options.dpopReplayStore,
    fetch: fetchImplementation,
    clock,
  };
}
