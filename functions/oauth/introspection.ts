import { createHash } from 'node:crypto';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { Client } from './clients/client.ts';
import { epochSeconds } from './clock.ts';
import { InvalidRequest, UnauthorizedClient } from './errors.ts';
import { confirmation, tokenType } from './tokens/issue.ts';
import { inspectToken, type InspectDependencies, type Inspection } from './tokens/inspect.ts';

export interface IntrospectionDependencies extends InspectDependencies {
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly cache: IntrospectionCache;
}

/** What a cached answer was about, so a later check can tell whether it still holds. */
interface CachedAnswer {
  readonly until: number;
  readonly inspected: Inspection;
  readonly body: Record<string, unknown>;
}

/**
 * Introspection answers kept in memory, each until min(cache TTL, the token's own expiry), keyed
 * by the token's hash (not the caller's), so a revocation in this function — `POST /revoke`, a
 * reuse detected, a replayed code — can forget them. A hit still goes through the revoke-all
 * markers (one read): only what this instance cannot see — a family revoked by another instance
 * or function (its `/revoke`, its reuse detection, a logout, an admin's ending) — can outlive a
 * revocation, and for `introspection_cache_ttl` at most.
 */
export class IntrospectionCache {
  readonly #entries = new Map<string, CachedAnswer>();
  readonly #byFamily = new Map<string, Set<string>>();
  readonly #max: number;

  constructor(maxEntries = 10_000) {
    this.#max = maxEntries;
  }

  get(key: string, now: number): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.forget(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CachedAnswer): void {
    if (this.#entries.size >= this.#max) this.forget(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
    const familyId = familyOf(entry.inspected);
    if (familyId !== undefined) {
      let keys = this.#byFamily.get(familyId);
      if (!keys) this.#byFamily.set(familyId, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Drops the answer about one token. */
  forget(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const familyId = familyOf(entry.inspected);
    if (familyId !== undefined) this.#byFamily.get(familyId)?.delete(key);
  }

  /** Drops every answer about a family's tokens (its refresh token and the access tokens it issued). */
  forgetFamily(familyId: string): void {
    for (const key of this.#byFamily.get(familyId) ?? []) this.#entries.delete(key);
    this.#byFamily.delete(familyId);
  }
}

function familyOf(inspected: Inspection): string | undefined {
  return inspected.kind === 'refresh_token' ? inspected.family.familyId : inspected.familyId;
}

/** The cache key of a token: its hash, so the token itself is never kept. */
export const cacheKey = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** The login behind what was inspected, and whose it is: what the revoke-all markers are compared with. */
function loginOf(inspected: Inspection): { subject: string; clientId: string; at: number } {
  if (inspected.kind === 'refresh_token') return { subject: inspected.family.subject, clientId: inspected.family.clientId, at: inspected.family.authTime };
  return { subject: inspected.subject, clientId: inspected.clientId, at: inspected.authTime ?? inspected.issuedAt };
}

/** The caller may see a token it was issued, or one meant for an API it serves (its audiences). */
function visibleTo(client: Client, inspected: Inspection): boolean {
  if (inspected.kind === 'refresh_token') return inspected.family.clientId === client.clientId;
  return inspected.clientId === client.clientId || client.audiences.includes(inspected.audience);
}

/** The JSON of an active token (what is undefined is left out of it). */
function activeBody(deps: IntrospectionDependencies, inspected: Inspection): Record<string, unknown> {
  if (inspected.kind === 'refresh_token') {
    const { family } = inspected;
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: family.clientId,
      sub: family.subject,
      scope: family.scope.join(' '),
      aud: family.audience,
      iss: deps.issuer,
      iat: family.rotatedAt ?? family.createdAt,
      exp: inspected.expiresAt,
      cnf: confirmation(family.jkt),
      lifetime_profile: family.lifetimeProfile,
    };
  }
  return {
    active: true,
    // RFC 9449 §6.2: a DPoP-bound token says so, and which key it is bound to.
    token_type: tokenType(inspected.jkt),
    client_id: inspected.clientId,
    sub: inspected.subject,
    scope: inspected.scope.join(' '),
    aud: inspected.audience,
    iss: deps.issuer,
    iat: inspected.issuedAt,
    exp: inspected.expiresAt,
    jti: inspected.jti,
    auth_time: inspected.authTime,
    cnf: confirmation(inspected.jkt),
    lifetime_profile: inspected.lifetimeProfile,
  };
}

/**
 * RFC 7662. Only confidential clients (resource servers) may ask. Anything not active, or not
 * the caller's to see, is `{"active": false}` and nothing more. Answers are cached for at most
 * `introspection_cache_ttl` seconds and never past the token's expiry; see {@link IntrospectionCache}
 * for what a cached answer can and cannot outlive.
 */
export async function introspect(client: Client, params: ReadonlyMap<string, string>, deps: IntrospectionDependencies): Promise<Record<string, unknown>> {
  if (client.type !== 'confidential') throw new UnauthorizedClient('only confidential clients may introspect tokens');
  const token = params.get('token');
  if (!token) throw new InvalidRequest('token is required');
  const now = epochSeconds(deps.clock);
  const key = cacheKey(token);
  const cached = deps.cache.get(key, now);
  if (cached) {
    if (!visibleTo(client, cached.inspected)) return { active: false };
    // A revoke-all marker written since (anywhere) ends the cached answer at once.
    const login = loginOf(cached.inspected);
    if (login.at > (await deps.markers.validAfter(login.subject, login.clientId))) return cached.body;
    deps.cache.forget(key);
    return { active: false };
  }
  const inspected = await inspectToken(token, deps);
  if (!inspected || !inspected.active || inspected.expiresAt <= now) return { active: false };
  const body = activeBody(deps, inspected);
  const ttl = resolveLifetimes(await deps.lifetimes.current()).introspection_cache_ttl.value;
  if (ttl > 0) deps.cache.set(key, { until: Math.min(now + ttl, inspected.expiresAt), inspected, body });
  return visibleTo(client, inspected) ? body : { active: false };
}
