/** OAuth 2.1 drops the implicit and password grants; these are the ones Lifespan knows. */
export const GRANT_TYPES = {
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  clientCredentials: 'client_credentials',
  deviceCode: 'urn:ietf:params:oauth:grant-type:device_code',
} as const;

export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES];

export type ClientType = 'public' | 'confidential';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Grants each client type may hold: machine-to-machine needs a secret, so public clients cannot. */
export const ALLOWED_GRANTS: Readonly<Record<ClientType, readonly GrantType[]>> = {
  public: [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken, GRANT_TYPES.deviceCode],
  confidential: [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken, GRANT_TYPES.clientCredentials, GRANT_TYPES.deviceCode],
};

/** A registered client as stored. The secret exists only as its hash. */
export interface Client {
  readonly clientId: string;
  readonly clientName: string;
  readonly type: ClientType;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** SHA-256 of the secret (confidential clients only). */
  readonly secretHash?: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof. */
  readonly dpopBoundAccessTokens?: boolean;
  /**
   * PKCE at `/authorize` (the default, and always for public clients). A confidential client
   * registered without it may send OpenID Connect requests with a `nonce` instead.
   */
  readonly requirePkce: boolean;
  /** Epoch seconds. */
  readonly createdAt: number;
}

/** What the admin API shows of a client: everything but the secret hash. */
export function publicView(client: Client): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    type: client.type,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    audiences: client.audiences,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens === true,
    require_pkce: client.requirePkce,
    created_at: client.createdAt,
  };
}

/** Port: where clients are kept. */
export interface ClientRepository {
  /** Stores a new client; fails if the id exists. */
  create(client: Client): Promise<void>;
  get(clientId: string): Promise<Client | undefined>;
  /** Returns false when there was no such client. */
  delete(clientId: string): Promise<boolean>;
}
