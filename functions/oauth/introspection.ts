import { createHash } from 'node:crypto';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { Client } from './clients/client.ts';
import { epochSeconds } from './clock.ts';
import { InvalidRequest, UnauthorizedClient } from './errors.ts';
import { inspectToken, type InspectDependencies, type Inspection } from './tokens/inspect.ts';

export interface IntrospectionDependencies extends InspectDependencies {
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly cache: IntrospectionCache;
}

/** Introspection answers kept in memory, each until min(cache TTL, the token's own expiry). */
export class IntrospectionCache {
  readonly #entries = new Map<string, { until: number; body: Record<string, unknown> }>();
  readonly #max: number;

  constructor(maxEntries = 10_000) {
    this.#max = maxEntries;
  }

  get(key: string, now: number): Record<string, unknown> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.body;
  }

  set(key: string, until: number, body: Record<string, unknown>): void {
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { until, body });
  }
}

/** The caller may see a token it was issued, or one meant for an API it serves (its audiences). */
function visibleTo(client: Client, inspected: Inspection): boolean {
  if (inspected.kind === 'refresh_token') return inspected.family.clientId === client.clientId;
  return inspected.clientId === client.clientId || client.audiences.includes(inspected.audience);
}

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
    };
  }
  return {
    active: true,
    token_type: 'Bearer',
    client_id: inspected.clientId,
    sub: inspected.subject,
    scope: inspected.scope.join(' '),
    aud: inspected.audience,
    iss: deps.issuer,
    iat: inspected.issuedAt,
    exp: inspected.expiresAt,
    jti: inspected.jti,
    ...(inspected.authTime !== undefined && { auth_time: inspected.authTime }),
  };
}

/**
 * RFC 7662. Only confidential clients (resource servers) may ask. Anything not active, or not
 * the caller's to see, is `{"active": false}` and nothing more. Answers are cached for at most
 * `introspection_cache_ttl` seconds and never past the token's expiry, so a revocation can
 * take that long to show here.
 */
export async function introspect(client: Client, params: ReadonlyMap<string, string>, deps: IntrospectionDependencies): Promise<Record<string, unknown>> {
  if (client.type !== 'confidential') throw new UnauthorizedClient('only confidential clients may introspect tokens');
  const token = params.get('token');
  if (!token) throw new InvalidRequest('token is required');
  const now = epochSeconds(deps.clock);
  const key = createHash('sha256').update(`${client.clientId}\0${token}`).digest('base64url');
  const cached = deps.cache.get(key, now);
  if (cached) return cached;
  const inspected = await inspectToken(token, deps);
  if (!inspected || !inspected.active || !visibleTo(client, inspected) || inspected.expiresAt <= now) return { active: false };
  const body = activeBody(deps, inspected);
  const ttl = resolveLifetimes(await deps.lifetimes.current()).introspection_cache_ttl.value;
  if (ttl > 0) deps.cache.set(key, Math.min(now + ttl, inspected.expiresAt), body);
  return body;
}
