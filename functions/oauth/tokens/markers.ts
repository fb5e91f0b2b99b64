/**
 * The scopes of bulk revocation (Cognito's GlobalSignOut, Auth0's revoke-all): a user's
 * tokens, a user's SSO sessions, a client's tokens, everything.
 */
export type MarkerKind = 'user' | 'sessions' | 'client' | 'global';

/**
 * Why a marker was written, kept with it (the reason of its security event): a user event's type,
 * a deleted client, a logout with `revoke_all_on_logout`, or an operator (`admin`).
 */
export type MarkerReason = 'password_changed' | 'mfa_changed' | 'compromised' | 'client_deleted' | 'logout' | 'admin';

/** What the markers that apply to one login say, in epoch seconds. */
export interface MarkerTimes {
  /** Tokens, codes and families from a login at or before this are dead (user, client, global). */
  readonly tokens: number;
  /**
   * An SSO session from a login at or before this may not be reused: its sessions were ended
   * (`sessions`, global), or whatever it would issue is already dead (`tokens`).
   */
  readonly sessions: number;
}

/**
 * Port: "tokens valid after" markers. A bulk revocation is one marker write, however many
 * tokens exist; every refresh, code exchange, device poll, introspection, userinfo and SSO reuse
 * compares the time the user authenticated (`auth_time` of the login behind the token) with
 * the markers that apply to it.
 */
export interface RevocationMarkers {
  /** Both answers of one read (epoch seconds; 0 when no marker applies). */
  times(subject: string | undefined, clientId: string | undefined): Promise<MarkerTimes>;
  /**
   * The latest `valid_after` among the markers for this subject, this client and everyone:
   * anything from a login at or before it is dead. Read afresh on every call (no cache window).
   */
  validAfter(subject: string | undefined, clientId: string): Promise<number>;
  /** The same for an SSO session about to be reused by `clientId`: see {@link MarkerTimes.sessions}. */
  sessionsValidAfter(subject: string, clientId?: string): Promise<number>;
  /** Writes a marker: tokens issued at or before `validAfter` are dead; `reason` says why. */
  write(kind: MarkerKind, id: string, validAfter: number, retainUntil: number, reason?: MarkerReason): Promise<void>;
}
