import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { NotFound } from './errors.ts';
import type { FamilyStore } from './tokens/family.ts';
import type { RevocationMarkers } from './tokens/markers.ts';

/** `GET /admin/families/{id}`: what happened to a refresh-token family, for support and forensics. */
export async function familyTimeline(
  deps: {
    readonly clock: Clock;
    readonly families: Pick<FamilyStore, 'get'>;
    readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
    readonly markers: Pick<RevocationMarkers, 'validAfter'>;
  },
  familyId: string,
): Promise<Record<string, unknown>> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(familyId)) throw new NotFound('no such family');
  const family = await deps.families.get(familyId);
  if (!family) throw new NotFound('no such family (it may have expired and been deleted)');
  const now = epochSeconds(deps.clock);
  const idle = resolveLifetimes(await deps.lifetimes.current(), { clientId: family.clientId }).refresh_token_idle_ttl.value;
  const expiresAt = Math.min(family.lastUsedAt + idle, family.absoluteExpiresAt);
  const events: Array<Record<string, unknown>> = [{ type: 'created', at: family.createdAt, generation: 0 }];
  for (const [generation, at] of Object.entries(family.rotations).sort(([a], [b]) => Number(a) - Number(b))) {
    events.push({ type: 'rotated', at, generation: Number(generation) });
  }
  if (family.reuseDetectedAt !== undefined) events.push({ type: 'reuse_detected', at: family.reuseDetectedAt });
  if (family.revokedAt !== undefined) events.push({ type: 'revoked', at: family.revokedAt, reason: family.revokedReason });
  // A revoke-all marker kills the family at once, though its item is only marked at its next use.
  const markedAt = await deps.markers.validAfter(family.subject, family.clientId);
  const killedByMarker = !family.revoked && family.createdAt <= markedAt;
  if (killedByMarker) events.push({ type: 'revoked', at: markedAt, reason: 'marker' });
  events.sort((a, b) => Number(a['at']) - Number(b['at']));
  const kept = Object.keys(family.rotations).length;
  return {
    family_id: family.familyId,
    client_id: family.clientId,
    subject: family.subject,
    scope: family.scope.join(' '),
    audience: family.audience,
    state: family.revoked || killedByMarker ? 'revoked' : expiresAt <= now ? 'expired' : 'active',
    created_at: family.createdAt,
    last_used_at: family.lastUsedAt,
    expires_at: expiresAt,
    absolute_expires_at: family.absoluteExpiresAt,
    generation: family.generation,
    ...((family.revokedReason !== undefined || killedByMarker) && { revoked_reason: family.revokedReason ?? 'marker' }),
    events,
    ...(family.generation > kept && { earlier_rotations_not_kept: family.generation - kept }),
  };
}
