/**
 * Port: a user's refresh families and SSO sessions, newest first, as the operator lists them
 * (Hydra's consent sessions by subject, Keycloak's and Auth0's sessions of a user). The index
 * copies what a listing shows and what tells a live entry from a dead one; whether an entry is
 * live (expiry, revocation, revoke-all markers) is decided by the core, not by the store.
 */
export interface SubjectIndex {
  families(subject: string, after: ListPosition | undefined, limit: number): Promise<IndexPage<ListedFamily>>;
  sessions(subject: string, after: ListPosition | undefined, limit: number): Promise<IndexPage<ListedSession>>;
}

/** Where a listing resumes: just past this entry. Entries are ordered by creation time, then id, newest first. */
export interface ListPosition {
  readonly createdAt: number;
  /** The family id, or the session's sid. */
  readonly id: string;
}

/** At most `limit` entries past the position; `more`: the index may hold further ones. */
export interface IndexPage<T> {
  readonly entries: readonly T[];
  readonly more: boolean;
}

/** A refresh family as the index holds it. Times in epoch seconds. */
export interface ListedFamily {
  readonly familyId: string;
  readonly clientId: string;
  /** The SSO session the family came from (browser logins only). */
  readonly sid?: string | undefined;
  readonly scope: readonly string[];
  readonly audience: string;
  readonly createdAt: number;
  /** When the user authenticated for the login behind it: what the revoke-all markers are compared with. */
  readonly authTime: number;
  readonly lastUsedAt: number;
  readonly absoluteExpiresAt: number;
  readonly generation: number;
  readonly revoked: boolean;
}

/** An SSO session as the index holds it (its public `sid`, never its cookie). Times in epoch seconds. */
export interface ListedSession {
  readonly sid: string;
  readonly clientId: string;
  readonly createdAt: number;
  /** When the user authenticated: what the revoke-all markers are compared with. */
  readonly authTime: number;
  readonly lastSeenAt: number;
  readonly idleTtl: number;
  readonly absoluteExpiresAt: number;
  readonly acr?: string | undefined;
  readonly amr?: readonly string[] | undefined;
}
