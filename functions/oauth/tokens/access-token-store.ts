/** What an opaque access token stands for (introspection returns it). Times in epoch seconds. */
export interface OpaqueAccessToken {
  readonly clientId: string;
  readonly subject: string;
  readonly scope: readonly string[];
  readonly audience: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly authTime?: number | undefined;
  readonly jti: string;
  readonly familyId?: string | undefined;
  /** The DPoP key the token is bound to (RFC 9449 `cnf.jkt`). */
  readonly jkt?: string | undefined;
  /** Claims the `claims` request asked of userinfo (OIDC Core §5.5), beyond what the scopes release. */
  readonly userinfoClaims?: readonly string[] | undefined;
  /** The lifetime profile of the login behind it (introspection's `lifetime_profile`). */
  readonly lifetimeProfile?: string | undefined;
}

/** Port: opaque access tokens (by hash) and the denylist of JWT access tokens (by `jti`). */
export interface AccessTokenStore {
  putOpaque(tokenHash: string, token: OpaqueAccessToken): Promise<void>;
  getOpaque(tokenHash: string): Promise<OpaqueAccessToken | undefined>;
  deleteOpaque(tokenHash: string): Promise<void>;
  /** Denylists a JWT until it would have expired anyway. */
  deny(jti: string, expiresAt: number): Promise<void>;
  isDenied(jti: string, now: number): Promise<boolean>;
}
