import { LONGEST_ACCESS_TOKEN_TTL } from '../lifetimes/parameters.ts';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { InvalidRequest } from './errors.ts';
import type { MarkerKind, MarkerReason, RevocationMarkers } from './tokens/markers.ts';
import type { SecurityEventRecorder } from '../events/recorder.ts';

export interface BulkRevocationDependencies {
  readonly clock: Clock;
  readonly markers: Pick<RevocationMarkers, 'write'>;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  /** Records the user events received (the markers' writes show themselves on the table's stream). */
  readonly events?: SecurityEventRecorder;
}

const ID = /^[^\u0000-\u001f]{1,255}$/;

/**
 * Until when a revoke-all marker must be kept: past every token it can kill — the longest
 * refresh family any client may have, and the longest access token after it.
 */
export async function markerRetention(lifetimes: Pick<LifetimeConfigStore, 'current'>, now: number): Promise<number> {
  const snapshot = await lifetimes.current();
  let longest = resolveLifetimes(snapshot).refresh_token_absolute_ttl.value;
  for (const overrides of snapshot.clients.values()) longest = Math.max(longest, overrides.refresh_token_absolute_ttl ?? 0);
  return now + longest + LONGEST_ACCESS_TOKEN_TTL;
}


async function mark(deps: BulkRevocationDependencies, kinds: ReadonlyArray<readonly [MarkerKind, string]>, reason: MarkerReason): Promise<number> {
  const now = epochSeconds(deps.clock);
  const until = await markerRetention(deps.lifetimes, now);
  for (const [kind, id] of kinds) await deps.markers.write(kind, id, now, until, reason);
  return now;
}

/**
 * `POST /admin/users/{subject}/events`. A password or MFA change revokes the user's refresh
 * (and access) tokens when `revoke_refresh_on_password_change` is on, and ends their SSO
 * sessions when `end_sessions_on_password_change` is (Keycloak's and Auth0's "sign out other
 * devices"); `compromised` revokes everything of the user and ends their sessions. One or two
 * marker writes, however many tokens the user holds. A session kept across a change whose
 * tokens were revoked can still be seen, but it issues nothing: what it would issue comes from
 * the login before the change.
 */
export async function userEvent(deps: BulkRevocationDependencies, subject: string, body: Record<string, unknown>) {
  const unknown = Object.keys(body).filter((key) => key !== 'type');
  if (unknown.length > 0) throw new InvalidRequest(`unknown fields: ${unknown.join(', ')}`);
  const type = body['type'];
  if (type !== 'password_changed' && type !== 'mfa_changed' && type !== 'compromised') {
    throw new InvalidRequest('type must be password_changed, mfa_changed or compromised');
  }
  if (!ID.test(subject)) throw new InvalidRequest('subject is malformed');
  // Received, whatever the policy revokes for it (possibly nothing).
  await deps.events?.record({ type: 'user_event_received', facts: { subject, reason: type } });
  if (type === 'compromised') {
    const at = await mark(deps, [['user', subject], ['sessions', subject]], type);
    return { subject, type, revoked: ['tokens', 'sessions'], valid_after: at };
  }
  const policy = resolveLifetimes(await deps.lifetimes.current());
  const kinds: Array<readonly [MarkerKind, string]> = [];
  if (policy.revoke_refresh_on_password_change.value) kinds.push(['user', subject]);
  if (policy.end_sessions_on_password_change.value) kinds.push(['sessions', subject]);
  if (kinds.length === 0) return { subject, type, revoked: [] };
  const at = await mark(deps, kinds, type);
  return { subject, type, revoked: kinds.map(([kind]) => (kind === 'user' ? 'tokens' : 'sessions')), valid_after: at };
}

/**
 * A deleted client's tokens die with it: one client marker (a constant number of writes,
 * however many families and access tokens it holds), seen by the very next request anywhere.
 */
export async function revokeClient(deps: BulkRevocationDependencies, clientId: string): Promise<number> {
  return mark(deps, [['client', clientId]], 'client_deleted');
}

/** `POST /admin/revocations` {scope: user | client | global, id?}: the emergency switches. */
export async function revokeAll(deps: BulkRevocationDependencies, body: Record<string, unknown>) {
  const unknown = Object.keys(body).filter((key) => key !== 'scope' && key !== 'id');
  if (unknown.length > 0) throw new InvalidRequest(`unknown fields: ${unknown.join(', ')}`);
  const { scope, id } = body;
  if (scope === 'global') {
    if (id !== undefined) throw new InvalidRequest('a global revocation takes no id');
    return { scope, valid_after: await mark(deps, [['global', '*']], 'admin') };
  }
  if (scope !== 'user' && scope !== 'client') throw new InvalidRequest('scope must be user, client or global');
  if (typeof id !== 'string' || !ID.test(id)) throw new InvalidRequest(`a ${scope} revocation needs the ${scope === 'user' ? 'subject' : 'client_id'} as id`);
  const kinds: Array<readonly [MarkerKind, string]> = scope === 'user' ? [['user', id], ['sessions', id]] : [['client', id]];
  return { scope, id, valid_after: await mark(deps, kinds, 'admin') };
}
