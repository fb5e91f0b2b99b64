import { InvalidRequest } from './errors.ts';

/** OIDC Core §5.4: which standard claims each scope releases. */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The OIDC Core §5.1 claims a scope stands for: only a scope (or the `claims` parameter) releases them. */
export const STANDARD_CLAIMS: ReadonlySet<string> = new Set(Object.values(SCOPE_CLAIMS).flat());

/**
 * Claims the login app's `claims` may not set: the server asserts them (JWT, RFC 9068, OIDC Core,
 * RFC 9449 `cnf`, and Lifespan's own `fid` and `lifetime_profile`, which the login app sets
 * through the accept body's field of that name). Accept refuses them; issuing drops any stored before.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'typ', 'nonce', 'at_hash', 'c_hash', 's_hash',
  'sid', 'auth_time', 'acr', 'amr', 'azp', 'cnf', 'fid', 'lifetime_profile',
]);

/** The standard claims the scopes release (OIDC Core §5.4). */
function scopeClaims(scope: readonly string[]): Set<string> {
  return new Set(scope.flatMap((value) => SCOPE_CLAIMS[value] ?? []));
}

/**
 * What of the login app's claims goes into the ID token: a standard claim (§5.1) only when a
 * granted scope releases it or the `claims` request asked for it in the ID token; any other
 * (the deployer's own, e.g. `tenant`) as the login app gave it; never a reserved one.
 */
export function idTokenClaims(
  claims: Readonly<Record<string, unknown>> | undefined,
  scope: readonly string[],
  requested: RequestedClaims | undefined,
): Record<string, unknown> {
  const released = scopeClaims(scope);
  for (const name of requested?.idToken ?? []) released.add(name);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(claims ?? {})) {
    if (RESERVED_CLAIMS.has(name) || (STANDARD_CLAIMS.has(name) && !released.has(name))) continue;
    out[name] = value;
  }
  return out;
}

/**
 * What userinfo releases of the user's latest login claims: the standard claims of the access
 * token's scopes, and whatever the `claims` request asked of userinfo (standard or not).
 */
export function userinfoClaims(
  claims: Readonly<Record<string, unknown>> | undefined,
  scope: readonly string[],
  requested: readonly string[] | undefined,
): Record<string, unknown> {
  const names = scopeClaims(scope);
  for (const name of requested ?? []) names.add(name);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (!RESERVED_CLAIMS.has(name) && claims?.[name] !== undefined) out[name] = claims[name];
  }
  return out;
}

/** One member of a `claims` request (OIDC Core §5.5.1): `null`, or how the claim is asked for. */
export type ClaimRequest = null | {
  readonly essential?: boolean;
  readonly value?: unknown;
  readonly values?: readonly unknown[];
  readonly [other: string]: unknown;
};

/**
 * The `claims` request parameter (OIDC Core §5.5), parsed and checked: the claims asked of
 * userinfo and of the ID token. Other members are kept as sent (for the login app) and
 * otherwise ignored, as §5.5 requires.
 */
export interface ClaimsRequest {
  readonly userinfo?: Readonly<Record<string, ClaimRequest>>;
  readonly id_token?: Readonly<Record<string, ClaimRequest>>;
  readonly [other: string]: unknown;
}

/** The claim names a grant was asked for, by where they go (stored with the code, family and access token). */
export interface RequestedClaims {
  readonly userinfo?: readonly string[];
  readonly idToken?: readonly string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkMembers(target: string, members: unknown): void {
  if (members === undefined) return;
  if (!isObject(members)) throw new InvalidRequest(`claims.${target} must be a JSON object`);
  for (const [name, request] of Object.entries(members)) {
    if (name === '' || name.length > 255) throw new InvalidRequest(`claims.${target} holds a claim name that is empty or too long`);
    if (request === null) continue;
    if (!isObject(request)) throw new InvalidRequest(`claims.${target}: each claim must be null or a JSON object`);
    if (request['essential'] !== undefined && typeof request['essential'] !== 'boolean') {
      throw new InvalidRequest(`claims.${target}: essential must be true or false`);
    }
    if (request['values'] !== undefined && !Array.isArray(request['values'])) throw new InvalidRequest(`claims.${target}: values must be an array`);
  }
}

/**
 * Parses the `claims` parameter. A value that is not JSON, not an object, or whose `userinfo`
 * or `id_token` member is malformed is `invalid_request` (never silently ignored: the client
 * would get fewer claims than it asked for without knowing why).
 */
export function parseClaimsRequest(raw: string): ClaimsRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidRequest('claims is not valid JSON');
  }
  if (!isObject(parsed)) throw new InvalidRequest('claims must be a JSON object');
  checkMembers('userinfo', parsed['userinfo']);
  checkMembers('id_token', parsed['id_token']);
  const sub = [parsed['userinfo'], parsed['id_token']].map((members) => (isObject(members) ? members['sub'] : undefined));
  for (const request of sub) {
    if (isObject(request) && request['value'] !== undefined && typeof request['value'] !== 'string') {
      throw new InvalidRequest('claims: a sub value must be a string');
    }
  }
  return parsed as ClaimsRequest;
}

/**
 * The claim names asked for in each place. A standard claim (§5.1) is kept only when a scope the
 * client is registered for covers it: the registration's scopes are the deployer's limit on what
 * profile data a client may see, and a `claims` request may choose within it, not past it.
 */
export function requestedClaimNames(claims: ClaimsRequest | undefined, clientScopes: readonly string[]): RequestedClaims | undefined {
  if (!claims) return undefined;
  const allowed = scopeClaims(clientScopes);
  const within = (name: string) => !STANDARD_CLAIMS.has(name) || allowed.has(name);
  const userinfo = Object.keys(claims.userinfo ?? {}).filter(within);
  const idToken = Object.keys(claims.id_token ?? {}).filter(within);
  if (userinfo.length === 0 && idToken.length === 0) return undefined;
  return { ...(userinfo.length > 0 && { userinfo }), ...(idToken.length > 0 && { idToken }) };
}

/**
 * The subjects a `claims` request demands (`"sub": {"value": …}`, OIDC Core §5.5.1, for the ID
 * token or userinfo): only that user may get a positive answer.
 */
export function requiredSubjects(claims: ClaimsRequest | undefined): string[] {
  const values = [claims?.id_token?.['sub']?.value, claims?.userinfo?.['sub']?.value];
  return values.filter((value): value is string => typeof value === 'string');
}
