import { createHash } from 'node:crypto';
import { IntrospectionUnavailable, TokenRevoked } from './errors.ts';
import type { Clock, FetchLike } from './types.ts';

/**
 * Online mode: after a token passes every local check, also ask the issuer whether it is still
 * active (RFC 7662 introspection).
 *
 * The trade-off: a JWT checked locally stays valid until it expires, even after the issuer
 * has revoked it (logout, reuse detection, a password change, `POST /revoke`). Asking the
 * issuer closes that gap at the price of one HTTP round trip per token per cache period, and
 * of a dependency on the issuer being up: when introspection fails, the token is refused
 * (fail closed, `introspection_unavailable`). Answers are cached per token (by hash) for at
 * most `cacheTtlSeconds`, and never past the token's `exp`, so a revocation takes effect here
 * within `cacheTtlSeconds` plus the issuer's own introspection cache (`introspection_cache_ttl`),
 * rather than within the access token's lifetime.
 */
export interface OnlineCheckOptions {
  /** `${issuer}/introspect`. */
  readonly introspectionEndpoint: string;
  /** A confidential client of the issuer whose `audiences` include this API's audience. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** How long an answer is reused, 0 to 60 seconds; 0 asks for every request. @default 30 */
  readonly cacheTtlSeconds?: number;
}

export const DEFAULT_ONLINE_CACHE_TTL_SECONDS = 30;
export const MAX_ONLINE_CACHE_TTL_SECONDS = 60;
const MAX_CACHE_ENTRIES = 10_000;

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before base64. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Introspection with a small in-memory cache; concurrent checks of one token share one request. */
export class OnlineCheck {
  readonly #endpoint: string;
  readonly #authorization: string;
  readonly #ttl: number;
  readonly #fetch: FetchLike;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #answers = new Map<string, { active: boolean; until: number }>();
  readonly #pending = new Map<string, Promise<boolean>>();

  constructor(options: Required<OnlineCheckOptions>, deps: { readonly fetch: FetchLike; readonly clock: Clock; readonly timeoutMs: number }) {
    this.#endpoint = options.introspectionEndpoint;
    this.#authorization = basicAuthorization(options.clientId, options.clientSecret);
    this.#ttl = options.cacheTtlSeconds;
    this.#fetch = deps.fetch;
    this.#clock = deps.clock;
    this.#timeoutMs = deps.timeoutMs;
  }

  /** @throws TokenRevoked, IntrospectionUnavailable */
  async check(token: string, expiresAt: number): Promise<void> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.#clock.now() / 1000;
    const cached = this.#answers.get(key);
    let active: boolean;
    if (cached && cached.until > now) {
      active = cached.active;
    } else {
      if (cached) this.#answers.delete(key);
      let pending = this.#pending.get(key);
      if (!pending) {
        pending = this.#introspect(token).finally(() => this.#pending.delete(key));
        this.#pending.set(key, pending);
      }
      active = await pending;
      this.#remember(key, active, Math.min(this.#clock.now() / 1000 + this.#ttl, expiresAt));
    }
    if (!active) throw new TokenRevoked('the issuer reports the access token is no longer active');
  }

  #remember(key: string, active: boolean, until: number): void {
    if (until <= this.#clock.now() / 1000) return;
    if (this.#answers.size >= MAX_CACHE_ENTRIES) this.#answers.delete(this.#answers.keys().next().value!);
    this.#answers.set(key, { active, until });
  }

  async #introspect(token: string): Promise<boolean> {
    let body: unknown;
    try {
      const response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new IntrospectionUnavailable(`the introspection endpoint answered HTTP ${response.status}`);
      }
      body = await response.json();
    } catch (cause) {
      if (cause instanceof IntrospectionUnavailable) throw cause;
      throw new IntrospectionUnavailable('the introspection endpoint could not be reached', { cause });
    }
    const active = typeof body === 'object' && body !== null ? (body as { active?: unknown }).active : undefined;
    if (typeof active !== 'boolean') throw new IntrospectionUnavailable('the introspection endpoint answered without a boolean "active"');
    return active;
  }
}
