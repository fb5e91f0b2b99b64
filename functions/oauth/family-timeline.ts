import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { NotFound } from './errors.ts';
import type { FamilyStore, RotationHistory } from './tokens/family.ts';
import type { RevocationMarkers } from './tokens/markers.ts';

/** `GET /admin/families/{id}`: what happened to a refresh-token family, for support and forensics (JSON: an undefined field is left out). */
export async function familyTimeline(
  deps: {
    readonly clock: Clock;
    readonly families: Pick<FamilyStore, 'get'>;
    readonly history: Pick<RotationHistory, 'rotations'>;
    readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
    readonly markers: Pick<RevocationMarkers, 'validAfter'>;
  },
  familyId: string,
): Promise<Record<string, unknown>> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(familyId)) throw new NotFound('no such family');
  const [family, recorded] = await Promise.all([deps.families.get(familyId), deps.history.rotations(familyId)]);
  if (!family) throw new NotFound('no such family (it may have expired and been deleted)');
  const now = epochSeconds(deps.clock);
  const idle = resolveLifetimes(await deps.lifetimes.current(), { clientId: family.clientId, profile: family.lifetimeProfile }).refresh_token_idle_ttl.value;
  const expiresAt = Math.min(family.lastUsedAt + idle, family.absoluteExpiresAt);
  const events: Array<Record<string, unknown>> = [{ type: 'created', at: family.createdAt, generation: 0 }];
  // The history has every rotation once the stream has delivered it (within seconds); the
  // family item itself has the newest 20, so the latest ones show even before that.
  const rotations = new Map<number, number>(recorded.map(({ generation, at }) => [generation, at]));
  for (const [generation, at] of Object.entries(family.rotations)) rotations.set(Number(generation), at);
  for (const [generation, at] of [...rotations].sort(([a], [b]) => a - b)) {
    if (generation <= family.generation) events.push({ type: 'rotated', at, generation });
  }
  if (family.reuseDetectedAt !== undefined) events.push({ type: 'reuse_detected', at: family.reuseDetectedAt });
  if (family.revokedAt !== undefined) events.push({ type: 'revoked', at: family.revokedAt, reason: family.revokedReason });
  // A revoke-all marker kills the family at once, though its item is only marked at its next use.
  const markedAt = await deps.markers.validAfter(family.subject, family.clientId);
  const killedByMarker = !family.revoked && family.authTime <= markedAt;
  if (killedByMarker) events.push({ type: 'revoked', at: markedAt, reason: 'marker' });
  events.sort((a, b) => Number(a['at']) - Number(b['at']));
  const known = [...rotations.keys()].filter((generation) => generation <= family.generation).length;
  return {
    family_id: family.familyId,
    client_id: family.clientId,
    subject: family.subject,
    scope: family.scope.join(' '),
    audience: family.audience,
    lifetime_profile: family.lifetimeProfile,
    state: family.revoked || killedByMarker ? 'revoked' : expiresAt <= now ? 'expired' : 'active',
    created_at: family.createdAt,
    last_used_at: family.lastUsedAt,
    expires_at: expiresAt,
    absolute_expires_at: family.absoluteExpiresAt,
    generation: family.generation,
    revoked_reason: family.revokedReason ?? (killedByMarker ? 'marker' : undefined),
    events,
    // Rotations the history does not (yet) have: the stream has not delivered them, or the
    // history function is not deployed (the stack's familyHistory prop).
    rotations_not_recorded: family.generation > known ? family.generation - known : undefined,
  };
}
