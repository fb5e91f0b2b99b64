/**
 * The scopes of bulk revocation (Cognito's GlobalSignOut, Auth0's revoke-all): a user's
 * tokens, a user's SSO sessions, a client's tokens, everything.
 */
export type MarkerKind = 'user' | 'sessions' | 'client' | 'global';

/**
 * Port: "tokens valid after" markers. A bulk revocation is one marker write, however many
 * tokens exist; every refresh, introspection and userinfo compares the token's issue time
 * with the markers that apply to it.
 */
export interface RevocationMarkers {
  /**
   * The latest `valid_after` (epoch seconds) among the markers for this subject, this client,
   * and everyone; 0 when there is none. May be up to the adapter's sync interval stale.
   */
  validAfter(subject: string, clientId: string): Promise<number>;
  /** The same for SSO sessions: a `sessions` marker of the subject, or the global one. */
  sessionsValidAfter(subject: string): Promise<number>;
  /** Writes a marker: tokens issued at or before `validAfter` are dead. */
  write(kind: MarkerKind, id: string, validAfter: number, retainUntil: number): Promise<void>;
}
