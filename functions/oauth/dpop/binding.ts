import { InvalidDpopProof } from '../errors.ts';
import { createHash } from 'node:crypto';
import { KEPT_PROOFS, type Grant, type ProofRecord } from '../tokens/family.ts';
import type { DpopProof } from './proof.ts';

/**
 * What a grant binds to the request's DPoP key (RFC 9449 §5): the family a code exchange or a
 * device approval starts is bound to the key of its proof, for life; without a proof, to none.
 */
export function boundToProof<G extends Grant>(grant: G, proof: DpopProof | undefined): G {
  return { ...grant, jkt: proof?.jkt };
}

/** The same proof sent again (its `jti`, recorded by the write that used it): refused, nothing changed. */
export function refuseReplayedProof(recordedJti: string | undefined, proof: DpopProof | undefined): void {
  if (proof !== undefined && recordedJti !== undefined && recordedJti === proof.jti) throw new InvalidDpopProof('the DPoP proof was already used');
}

/** Where a family records a proof: a hash of its `jti` (any string a client chose, made a safe map key). */
export const proofKey = (proof: DpopProof): string => createHash('sha256').update(proof.jti).digest('base64url').slice(0, 22);

/**
 * A family's record of its recent proofs, checked before anything else: a proof it holds, still
 * within its time, is a replay — refused, and the family left alone (not taken for reuse).
 * Returns what the write that uses `proof` records and drops.
 */
export function familyProof(proofs: Readonly<Record<string, number>> | undefined, proof: DpopProof | undefined, now: number): ProofRecord | undefined {
  if (proof === undefined) return undefined;
  const key = proofKey(proof);
  if ((proofs?.[key] ?? 0) > now) throw new InvalidDpopProof('the DPoP proof was already used');
  const live = Object.entries(proofs ?? {}).filter(([, until]) => until > now).sort(([, a], [, b]) => b - a);
  const kept = new Set(live.slice(0, KEPT_PROOFS - 1).map(([name]) => name));
  const drop = Object.keys(proofs ?? {}).filter((name) => !kept.has(name) || name === key);
  return { key, until: proof.replayableUntil, now, drop: drop.filter((name) => name !== key), fresh: proofs === undefined };
}
