import { revokeAll, type BulkRevocationDependencies } from '../bulk-revocation.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { InvalidRequest, NotFound } from '../errors.ts';
import type { ProfileStore } from '../sessions/profile.ts';
import type { SessionStore } from '../sessions/session.ts';
import type { FamilyStore } from '../tokens/family.ts';
import type { ListedFamily, ListPosition, SubjectIndex } from './subject-index.ts';
import { subjectParameter } from './subject.ts';
import { newEvent } from '../../events/recorder.ts';

export interface EndingDependencies extends BulkRevocationDependencies {
  readonly clock: Clock;
  readonly index: SubjectIndex;
  readonly families: Pick<FamilyStore, 'get' | 'revoke'>;
  readonly sessions: Pick<SessionStore, 'findBySid' | 'delete' | 'forgetSid'>;
  readonly profiles: Pick<ProfileStore, 'delete'>;
}

/** Family ids and sids: 16 random bytes, base64url. */
const RANDOM_ID = /^[A-Za-z0-9_-]{22}$/;
/** Index entries per Query while ending everything of a user. */
const BATCH = 100;
/** Writes in flight at once while ending everything of a user. */
const CONCURRENCY = 10;

async function eachInBatches<T>(items: readonly T[], act: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY) await Promise.all(items.slice(start, start + CONCURRENCY).map(act));
}

/** Every index entry of one kind for a subject, page by page (revoking takes a family out of the index: positions stay valid). */
async function forEachEntry<T>(
  read: (after: ListPosition | undefined, limit: number) => Promise<{ entries: readonly T[]; more: boolean }>,
  positionOf: (entry: T) => ListPosition,
  act: (entries: readonly T[]) => Promise<void>,
): Promise<void> {
  let after: ListPosition | undefined;
  for (;;) {
    const page = await read(after, BATCH);
    await act(page.entries);
    const last = page.entries.at(-1);
    if (!page.more || last === undefined) return;
    after = positionOf(last);
  }
}

const familyPosition = (family: ListedFamily): ListPosition => ({ createdAt: family.createdAt, id: family.familyId });

/** Revokes (reason `admin`) every listed family of the subject that `select` picks; returns how many this call revoked. */
async function revokeListed(deps: EndingDependencies, subject: string, now: number, select: (family: ListedFamily) => boolean): Promise<number> {
  let revoked = 0;
  await forEachEntry(
    (after, limit) => deps.index.families(subject, after, limit),
    familyPosition,
    (families) =>
      eachInBatches(
        families.filter((family) => !family.revoked && select(family)),
        async (family) => {
          if (await deps.families.revoke(family.familyId, 'admin', now)) revoked += 1;
        },
      ),
  );
  return revoked;
}

/**
 * `DELETE /admin/families/{id}`: revokes the family, reason `admin` (its timeline shows it).
 * Idempotent: one already revoked, for whatever reason, keeps its first reason and is a success.
 *
 * @throws NotFound for an id no family has (or had, before TTL deleted it).
 */
export async function endFamily(deps: Pick<EndingDependencies, 'clock' | 'families'>, familyId: string | undefined) {
  if (familyId === undefined || !RANDOM_ID.test(familyId)) throw new NotFound('no such family');
  const family = await deps.families.get(familyId);
  if (!family) throw new NotFound('no such family (it may have expired and been deleted)');
  const revoked = await deps.families.revoke(familyId, 'admin', epochSeconds(deps.clock));
  return { family_id: familyId, subject: family.subject, client_id: family.clientId, revoked_now: revoked };
}

function revokeFamiliesParameter(query: URLSearchParams): boolean {
  const values = query.getAll('revoke_families');
  if (values.length > 1) throw new InvalidRequest('revoke_families may appear only once');
  const [value] = values;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new InvalidRequest('revoke_families must be true or false');
}

/**
 * `DELETE /admin/sessions/{sid}`: ends the SSO session (its cookie no longer signs anyone in),
 * and with `?revoke_families=true` revokes the families it started (reason `admin`). A session
 * that has already ended is a success: its families can still be revoked.
 *
 * @throws NotFound for a sid no session had (or one past its absolute expiry).
 */
export async function endSession(deps: EndingDependencies, sid: string | undefined, query: URLSearchParams) {
  const revokeFamilies = revokeFamiliesParameter(query);
  if (sid === undefined || !RANDOM_ID.test(sid)) throw new NotFound('no such session');
  const now = epochSeconds(deps.clock);
  const found = await deps.sessions.findBySid(sid);
  if (!found || found.knownUntil <= now) throw new NotFound('no such session (it may have expired)');
  await deps.sessions.delete(found.cookieHash, newEvent('session_ended', { subject: found.subject, sid, reason: 'admin' }, deps.clock));
  const families = revokeFamilies ? await revokeListed(deps, found.subject, now, (family) => family.sid === sid) : 0;
  return { sid, subject: found.subject, families_revoked: families };
}

/**
 * `DELETE /admin/users/{subject}`: everything of the user ends. First a revoke-all marker for
 * the user's tokens and sessions (one write: outstanding access tokens, codes, device approvals
 * and families stored before the subject index die with it, at once); then every listed family
 * is revoked (reason `admin`), every listed session deleted, the sids of both forgotten, and the
 * stored login claims erased. Safe to repeat: a repeat after a failure finishes the job.
 */
export async function eraseUser(deps: EndingDependencies, rawSubject: string | undefined) {
  const subject = subjectParameter(rawSubject);
  const { valid_after: validAfter } = await revokeAll(deps, { scope: 'user', id: subject });
  const now = epochSeconds(deps.clock);
  // The sids the live families name: their sessions may have ended already, their sids not yet expired.
  const sids = new Set<string>();
  const families = await revokeListed(deps, subject, now, (family) => {
    if (family.sid !== undefined) sids.add(family.sid);
    return true;
  });
  let sessions = 0;
  await forEachEntry(
    (after, limit) => deps.index.sessions(subject, after, limit),
    (session) => ({ createdAt: session.createdAt, id: session.sid }),
    (listed) =>
      eachInBatches(listed, async ({ sid }) => {
        const found = await deps.sessions.findBySid(sid);
        if (found) await deps.sessions.delete(found.cookieHash);
        sids.add(sid);
        sessions += 1;
      }),
  );
  await eachInBatches([...sids], (sid) => deps.sessions.forgetSid(sid));
  await deps.profiles.delete(subject);
  return { subject, valid_after: validAfter, families_revoked: families, sessions_ended: sessions };
}
