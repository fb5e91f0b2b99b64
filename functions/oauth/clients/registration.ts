import { InvalidClientMetadata, InvalidRedirectUri } from '../errors.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { isAudience } from '../scopes.ts';
import { hashSecret, randomSecret } from '../secrets.ts';
import {
  ALLOWED_GRANTS,
  GRANT_TYPES,
  type Client,
  type ClientRepository,
  type ClientType,
  type GrantType,
  type TokenEndpointAuthMethod,
} from './client.ts';

const FIELDS = new Set([
  'client_name',
  'type',
  'redirect_uris',
  'post_logout_redirect_uris',
  'grant_types',
  'scopes',
  'audiences',
  'token_endpoint_auth_method',
  'dpop_bound_access_tokens',
  'require_pkce',
]);

const MAX_URIS = 20;
const MAX_URI_LENGTH = 2000;
const MAX_LIST = 100;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const AUTH_METHODS: Readonly<Record<ClientType, readonly TokenEndpointAuthMethod[]>> = {
  public: ['none'],
  confidential: ['client_secret_basic', 'client_secret_post'],
};
/**
 * http is allowed only on a loopback host, and only as written here (lower case, no other
 * spelling such as `127.1`, `2130706433` or `[0::1]` that a URL parser would turn into one).
 */
const LOOPBACK_HTTP = /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?=[:/?]|$)/;

function stringList(body: Record<string, unknown>, field: string, max: number): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new InvalidClientMetadata(`${field} must be an array of strings`);
  }
  if (value.length > max) throw new InvalidClientMetadata(`${field} may hold at most ${max} entries`);
  if (new Set(value).size !== value.length) throw new InvalidClientMetadata(`${field} has duplicate entries`);
  return value as string[];
}

/**
 * A redirect URI must be absolute, https (http only on a loopback host, for development and
 * native apps, RFC 8252 §7.3), without a fragment (RFC 6749 §3.1.2), credentials (not even an
 * empty `@`) or a wildcard in the host: URIs are matched as strings, so a `*` would never be a
 * pattern, only a host nobody should be sent to.
 */
export function checkRedirectUri(field: string, uri: string): void {
  if (uri.length > MAX_URI_LENGTH) throw new InvalidRedirectUri(`${field}: longer than ${MAX_URI_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidRedirectUri(`${field}: ${JSON.stringify(uri)} is not an absolute URI`);
  }
  if (uri.includes('#')) throw new InvalidRedirectUri(`${field}: ${uri} must not contain a fragment`);
  if (url.username || url.password || /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*@/.test(uri)) {
    throw new InvalidRedirectUri(`${field}: ${uri} must not contain credentials`);
  }
  if (url.hostname.includes('*')) throw new InvalidRedirectUri(`${field}: ${uri} must not contain a wildcard (URIs are matched exactly)`);
  if (url.protocol === 'https:') return;
  if (LOOPBACK_HTTP.test(uri)) return;
  throw new InvalidRedirectUri(`${field}: ${uri} must use https (http is allowed only for localhost, 127.0.0.1 and [::1], written so)`);
}

function checkAudience(audience: string): void {
  if (!isAudience(audience)) {
    throw new InvalidClientMetadata(
      `audiences: ${JSON.stringify(audience)} must be a name (letters, digits, . _ -) or an absolute URI without a fragment`,
    );
  }
}

/** The validated form of a registration request (RFC 7591 field names). */
export type ClientRegistration = Pick<
  Client,
  | 'clientName'
  | 'type'
  | 'tokenEndpointAuthMethod'
  | 'redirectUris'
  | 'postLogoutRedirectUris'
  | 'grantTypes'
  | 'scopes'
  | 'audiences'
  | 'dpopBoundAccessTokens'
  | 'requirePkce'
>;

/**
 * Validates an admin registration body. Unknown fields are refused rather than ignored: a
 * misspelt `redirect_uri` silently dropped would register a client that cannot log in.
 */
export function parseRegistration(body: Record<string, unknown>): ClientRegistration {
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw new InvalidClientMetadata(`unknown fields: ${unknown.join(', ')}`);

  const name = body['client_name'];
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
    throw new InvalidClientMetadata('client_name must be a non-empty string of at most 200 characters');
  }
  const type = body['type'];
  if (type !== 'public' && type !== 'confidential') {
    throw new InvalidClientMetadata('type must be "public" or "confidential"');
  }

  const methods = AUTH_METHODS[type];
  const authMethod = body['token_endpoint_auth_method'] ?? methods[0];
  if (!methods.some((method) => method === authMethod)) {
    throw new InvalidClientMetadata(
      type === 'public'
        ? 'a public client has no secret: token_endpoint_auth_method must be "none"'
        : 'token_endpoint_auth_method of a confidential client must be "client_secret_basic" or "client_secret_post"',
    );
  }

  const grantTypes = stringList(body, 'grant_types', 4) ?? [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken];
  if (grantTypes.length === 0) throw new InvalidClientMetadata('grant_types must not be empty');
  for (const grant of grantTypes) {
    if (!(ALLOWED_GRANTS[type] as readonly string[]).includes(grant)) {
      throw new InvalidClientMetadata(`grant type ${JSON.stringify(grant)} is not allowed for a ${type} client`);
    }
  }
  if (
    grantTypes.includes(GRANT_TYPES.refreshToken) &&
    !grantTypes.includes(GRANT_TYPES.authorizationCode) &&
    !grantTypes.includes(GRANT_TYPES.deviceCode)
  ) {
    throw new InvalidClientMetadata('refresh_token needs a grant that issues refresh tokens (authorization_code or device code)');
  }

  const redirectUris = stringList(body, 'redirect_uris', MAX_URIS) ?? [];
  redirectUris.forEach((uri, index) => checkRedirectUri(`redirect_uris[${index}]`, uri));
  if (grantTypes.includes(GRANT_TYPES.authorizationCode) && redirectUris.length === 0) {
    throw new InvalidRedirectUri('redirect_uris: the authorization_code grant needs at least one redirect URI');
  }
  const postLogoutRedirectUris = stringList(body, 'post_logout_redirect_uris', MAX_URIS) ?? [];
  postLogoutRedirectUris.forEach((uri, index) => checkRedirectUri(`post_logout_redirect_uris[${index}]`, uri));

  const scopes = stringList(body, 'scopes', MAX_LIST) ?? ['openid'];
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new InvalidClientMetadata(`scopes: ${JSON.stringify(scope)} is not a valid scope token`);
  }
  const audiences = stringList(body, 'audiences', MAX_LIST) ?? [];
  audiences.forEach(checkAudience);
  const dpopBound = body['dpop_bound_access_tokens'] ?? false;
  if (typeof dpopBound !== 'boolean') throw new InvalidClientMetadata('dpop_bound_access_tokens must be true or false');

  const requirePkce = body['require_pkce'] ?? true;
  if (typeof requirePkce !== 'boolean') throw new InvalidClientMetadata('require_pkce must be true or false');
  // OAuth 2.1 §7.5.1 (and RFC 9700 §2.1.1): without a secret, PKCE is what binds the code to the client.
  if (!requirePkce && authMethod === 'none') {
    throw new InvalidClientMetadata('require_pkce may be false only for a confidential client: a public client always uses PKCE');
  }

  return {
    clientName: name,
    type,
    tokenEndpointAuthMethod: authMethod as TokenEndpointAuthMethod,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: grantTypes as GrantType[],
    scopes,
    audiences,
    ...(dpopBound && { dpopBoundAccessTokens: true }),
    requirePkce,
  };
}

/** Registers a client. A confidential client's secret is returned here once and stored only as a hash. */
export async function registerClient(
  registration: ClientRegistration,
  deps: { readonly clients: ClientRepository; readonly clock: Clock },
): Promise<{ client: Client; secret?: string | undefined }> {
  const secret = registration.type === 'confidential' ? randomSecret(32) : undefined;
  const client: Client = {
    clientId: randomSecret(16),
    ...registration,
    ...(secret !== undefined && { secretHash: hashSecret(secret) }),
    createdAt: epochSeconds(deps.clock),
  };
  await deps.clients.create(client);
  return { client, secret };
}
