import type { RequestedClaims } from '../claims.ts';
import type { GrantTarget } from '../scopes.ts';
import type { Authentication } from '../sessions/authentication.ts';

/**
 * Why a family stopped working. Also the `Reason` dimension of the FamilyRevoked metric.
 * `admin`: an operator ended it (`DELETE /admin/families/{id}`, `/admin/sessions/{sid}`, `/admin/users/{subject}`).
 */
export type RevocationReason = 'reuse' | 'code_replay' | 'revoked' | 'marker' | 'logout' | 'client_deleted' | 'admin';

/** What a refresh-token family grants, fixed when the family is created; the login's {@link Authentication} with it. */
export interface Grant extends Authentication, GrantTarget {
  readonly subject: string;
  readonly clientId: string;
  /** Public id of the SSO session (the `sid` claim), if the grant came from a browser login. */
  readonly sid?: string | undefined;
  readonly scope: readonly string[];
  readonly authTime: number;
  /**
   * The DPoP key (RFC 7638 thumbprint) the grant is bound to (RFC 9449): for a family, the key of
   * the proof that started it, for life; for a code, the `dpop_jkt` of its /authorize (§10).
   */
  readonly jkt?: string | undefined;
  /** What the `claims` request parameter asked for, by place (OIDC Core §5.5). */
  readonly requestedClaims?: RequestedClaims | undefined;
}

/** A refresh-token family as stored: the grant plus rotation state. Times in epoch seconds. */
export interface Family extends Grant {
  readonly familyId: string;
  readonly createdAt: number;
  readonly absoluteExpiresAt: number;
  readonly lastUsedAt: number;
  readonly generation: number;
  readonly currentHash: string;
  readonly previousHash?: string | undefined;
  readonly rotatedAt?: number | undefined;
  readonly rotation: boolean;
  readonly revoked: boolean;
  readonly revokedReason?: RevocationReason | undefined;
  readonly revokedAt?: number | undefined;
  /**
   * Epoch seconds of the most recent rotations, by generation (the newest 20 are kept: they
   * bound the refresh rate). Every rotation is also kept in the {@link RotationHistory}.
   */
  readonly rotations: Readonly<Record<number, number>>;
  readonly reuseDetectedAt?: number | undefined;
  /** {@link RotateRequest.rotationId} of the last rotation. */
  readonly rotationId?: string | undefined;
  /**
   * The DPoP proofs of the family's recent uses (`proofKey` → until when the proof could still
   * pass, epoch seconds): one of them sent again is a replay, refused before anything else.
   */
  readonly proofs?: Readonly<Record<string, number>> | undefined;
}

/** A family to store together with the single use that starts it; `expiresAt` is its TTL. */
export interface NewFamilyItem {
  readonly family: Family;
  readonly expiresAt: number;
}

export interface RotateRequest {
  readonly familyId: string;
  readonly clientId: string;
  readonly generation: number;
  readonly absoluteExpiresAt: number;
  readonly presentedHash: string;
  /** Hash of the successor secret; equal to `presentedHash` when rotation is off. */
  readonly nextHash: string;
  readonly now: number;
  /** Families last used before this are idle-expired (now − idle lifetime in force now). */
  readonly idleCutoff: number;
  /** The item's new TTL: min(now + idle, absolute). */
  readonly expiresAt: number;
  readonly rotate: boolean;
  /** Scopes the family must hold (a request may only narrow). */
  readonly requiredScope?: readonly string[] | undefined;
  /** A resource the family must have been granted (a request may only narrow to one of them). */
  readonly requiredResource?: string | undefined;
  /**
   * Rate limit, checked in the same write: the rotation `generation` back must be older than
   * `windowStart` (so fewer than N rotations happened in the window).
   */
  readonly rateLimit?: { readonly generation: number; readonly windowStart: number } | undefined;
  /**
   * Unique to this request, stored with the rotation: when the SDK retries a write that had
   * committed, the refused condition shows this id, and the rotation is known to be this one.
   */
  readonly rotationId: string;
  /** This request's DPoP proof: recorded by the same write, which is refused if the family has it already. */
  readonly proof?: ProofRecord | undefined;
  /**
   * The family's subject and creation time, from the read before the write: its place in the
   * listing of the user's families, written again by the same write, so a family stored before
   * that listing existed is listed from its next refresh on.
   */
  readonly listedAs?: { readonly subject: string; readonly createdAt: number } | undefined;
}

/**
 * A DPoP proof recorded on the family (RFC 9449 §11.1): its key (a hash of its `jti`), until when
 * it could pass, and the recorded proofs the write drops (those past their time, and the oldest
 * beyond {@link KEPT_PROOFS}). `fresh`: the family has no record yet (stored before DPoP).
 */
export interface ProofRecord {
  readonly key: string;
  readonly until: number;
  /** Now: a recorded proof whose `until` is not after it is stale (may be recorded again, and is dropped). */
  readonly now: number;
  readonly drop: readonly string[];
  readonly fresh: boolean;
}

/** Proofs a family remembers at most (more uses than this within a proof's 90 s are rate-limited anyway). */
export const KEPT_PROOFS = 24;

/** The outcome of the one conditional write of a refresh. */
export type RotateResult =
  | { readonly outcome: 'rotated'; readonly family: Family }
  /** The condition failed; the item as it was (undefined: no such family). */
  | { readonly outcome: 'refused'; readonly family: Family | undefined };

/** Port: refresh-token families. */
export interface FamilyStore {
  /** `expiresAt` is the item's TTL: min(created + idle, absolute). */
  create(family: Family, expiresAt: number): Promise<void>;
  /** Exactly one conditional write (DESIGN.md §3). */
  rotate(request: RotateRequest): Promise<RotateResult>;
  /**
   * Marks the family revoked (once: the first reason is kept) and takes it out of the listing of
   * its user's families. Returns false if it already was revoked, or does not exist.
   */
  revoke(familyId: string, reason: RevocationReason, now: number): Promise<boolean>;
  /** Records that a superseded token was presented, and revokes the family, in one write. */
  revokeForReuse(familyId: string, now: number): Promise<boolean>;
  /**
   * Records a DPoP proof on a live family without rotating it (a retry within the reuse
   * interval writes nothing else): false when the family has it already.
   */
  recordProof(familyId: string, proof: ProofRecord): Promise<boolean>;
  get(familyId: string): Promise<Family | undefined>;
}

export const KEPT_ROTATIONS = 20;

/** One rotation of a family, as the rotation history keeps it. */
export interface Rotation {
  readonly familyId: string;
  /** The generation the rotation created (1 for the first rotation). */
  readonly generation: number;
  /** Epoch seconds. */
  readonly at: number;
  /** Epoch seconds: the family's absolute expiry, after which nobody can ask for its timeline. */
  readonly keepUntil: number;
}

/**
 * Port: every rotation of every family, written off the refresh path (from the table's stream),
 * so a refresh stays one write however long a family lives.
 */
export interface RotationHistory {
  /** Idempotent: recording a rotation twice keeps one. */
  record(rotation: Rotation): Promise<void>;
  /** The family's recorded rotations, oldest first. */
  rotations(familyId: string): Promise<Array<{ generation: number; at: number }>>;
}
