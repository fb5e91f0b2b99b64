import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import { resolveLifetimes } from '../../lifetimes/resolver.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { InvalidRequest } from '../errors.ts';
import type { RevocationMarkers } from '../tokens/markers.ts';
import { decodeCursor, encodeCursor, type CursorKind } from './cursor.ts';
import type { IndexPage, ListedFamily, ListedSession, ListPosition, SubjectIndex } from './subject-index.ts';
import { subjectParameter } from './subject.ts';

export interface ListingDependencies {
  readonly clock: Clock;
  readonly index: SubjectIndex;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly markers: Pick<RevocationMarkers, 'validAfter' | 'sessionsValidAfter'>;
}

/** Entries per response. */
export const PAGE_SIZE = 20;
/** Index entries read per Query. */
const BATCH = 50;
/** Queries per response at most: past them, a short page and a cursor (many dead entries in a row). */
const MAX_QUERIES = 10;

/**
 * Whether a family is live, as the token endpoint would decide: its expiry with the idle
 * lifetime in force now for its client, and the revoke-all markers. Each client's are read once
 * per request.
 */
function familyChecks(deps: ListingDependencies, subject: string) {
  const idle = new Map<string, Promise<number>>();
  const markers = new Map<string, Promise<number>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = load()));
    return value;
  };
  return {
    expiresAt: async (family: ListedFamily) => {
      const idleTtl = await once(idle, family.clientId, async () =>
        resolveLifetimes(await deps.lifetimes.current(), { clientId: family.clientId }).refresh_token_idle_ttl.value,
      );
      return Math.min(family.lastUsedAt + idleTtl, family.absoluteExpiresAt);
    },
    /** A revoke-all marker kills a family at once, though its item is marked revoked only at its next use. */
    killedByMarker: async (family: ListedFamily) =>
      family.authTime <= (await once(markers, family.clientId, () => deps.markers.validAfter(subject, family.clientId))),
  };
}

const sessionExpiry = (session: ListedSession): number => Math.min(session.lastSeenAt + session.idleTtl, session.absoluteExpiresAt);

/**
 * One response's worth of live entries, newest first: reads the index on past dead entries
 * (expired, revoked, cut off by a marker: DynamoDB's TTL deletes them only eventually), and
 * returns the position to resume after when more live entries may follow.
 */
async function livePage<T, V>(
  read: (after: ListPosition | undefined, limit: number) => Promise<IndexPage<T>>,
  view: (entry: T) => Promise<V | undefined>,
  positionOf: (entry: T) => ListPosition,
  start: ListPosition | undefined,
): Promise<{ live: V[]; next?: ListPosition | undefined }> {
  const live: Array<{ value: V; position: ListPosition }> = [];
  let after = start;
  for (let queries = 0; queries < MAX_QUERIES; queries += 1) {
    const page = await read(after, BATCH);
    for (const entry of page.entries) {
      after = positionOf(entry);
      const value = await view(entry);
      if (value === undefined) continue;
      live.push({ value, position: after });
      // One past the page: there is a next page, and it starts after the page's last entry.
      if (live.length > PAGE_SIZE) return { live: live.slice(0, PAGE_SIZE).map(({ value }) => value), next: live[PAGE_SIZE - 1]!.position };
    }
    if (!page.more) return { live: live.map(({ value }) => value) };
  }
  return { live: live.map(({ value }) => value), next: after };
}

function cursorParameter(query: URLSearchParams, kind: CursorKind, subject: string): ListPosition | undefined {
  const values = query.getAll('cursor');
  if (values.length > 1) throw new InvalidRequest('cursor may appear only once');
  const [cursor] = values;
  return cursor === undefined ? undefined : decodeCursor(kind, subject, cursor);
}

/**
 * `GET /admin/users/{subject}/families`: the user's live refresh families (not revoked, not
 * expired, not cut off by a revoke-all marker), newest first, {@link PAGE_SIZE} a page.
 */
export async function listFamilies(deps: ListingDependencies, rawSubject: string | undefined, query: URLSearchParams) {
  const subject = subjectParameter(rawSubject);
  const start = cursorParameter(query, 'families', subject);
  const now = epochSeconds(deps.clock);
  const checks = familyChecks(deps, subject);
  const { live, next } = await livePage(
    (after, limit) => deps.index.families(subject, after, limit),
    async (family) => {
      const expiresAt = await checks.expiresAt(family);
      if (family.revoked || expiresAt <= now || (await checks.killedByMarker(family))) return undefined;
      return {
        family_id: family.familyId,
        client_id: family.clientId,
        created_at: family.createdAt,
        last_used_at: family.lastUsedAt,
        expires_at: expiresAt,
        absolute_expires_at: family.absoluteExpiresAt,
        scope: family.scope.join(' '),
        audience: family.audience,
        generation: family.generation,
      };
    },
    (family) => ({ createdAt: family.createdAt, id: family.familyId }),
    start,
  );
  return { families: live, next_cursor: next && encodeCursor('families', subject, next) };
}

/**
 * `GET /admin/users/{subject}/sessions`: the user's live SSO sessions (not ended, not expired,
 * not cut off by a marker), newest first, by their public `sid`.
 */
export async function listSessions(deps: ListingDependencies, rawSubject: string | undefined, query: URLSearchParams) {
  const subject = subjectParameter(rawSubject);
  const start = cursorParameter(query, 'sessions', subject);
  const now = epochSeconds(deps.clock);
  let endedBefore: Promise<number> | undefined;
  const { live, next } = await livePage(
    (after, limit) => deps.index.sessions(subject, after, limit),
    async (session) => {
      const expiresAt = sessionExpiry(session);
      if (expiresAt <= now || session.authTime <= (await (endedBefore ??= deps.markers.sessionsValidAfter(subject)))) return undefined;
      return {
        sid: session.sid,
        client_id: session.clientId,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: expiresAt,
        acr: session.acr ?? null,
        amr: session.amr ?? null,
      };
    },
    (session) => ({ createdAt: session.createdAt, id: session.sid }),
    start,
  );
  return { sessions: live, next_cursor: next && encodeCursor('sessions', subject, next) };
}
