/**
 * The lifetime parameters of DESIGN.md §4: one row per parameter, with its kind, default, hard
 * limits, the scopes that may set it and how a lifetime profile tightens it. Everything else
 * (parsing, guardrails, the resolver, the CLI, the picture) reads this table, so adding a
 * parameter is adding a row here.
 *
 * **Lifetime profiles** (`profiles/<profile>/<name>`, chosen by the login app at accept) only
 * tighten. The rule, by kind:
 * - Every parameter a client may set, a profile may set (`client` among its `scopes`), within
 *   the same hard limits.
 * - `seconds`: the smaller number is the stricter (a shorter lifetime or grace, fewer requests):
 *   the effective value is min(profile, what client, audience and global resolution give). A
 *   profile value above that is accepted and simply not used.
 * - `boolean`: only `stricter` may be set in a profile (rotation stays on, a nonce may only be
 *   demanded); the other value could only loosen, so it is rejected.
 * - `enum`: `values` run from the loosest to the strictest; the stricter of the two applies, and
 *   the loosest value, which could only loosen, is rejected in a profile.
 * - `unreachedByLogin`: nothing a login produces uses the parameter (it is decided before any
 *   login is known, or for grants without one). A profile may set it; it is never applied, and
 *   `lifespan lifetimes lint` warns.
 */

/**
 * Where a parameter may be set: `/lifespan/<stage>/`, `…/clients/<id>/`, `…/audiences/<id>/`, or
 * `…/profiles/<profile>/` (a lifetime profile: whatever a client may set, see above).
 */
export type ParameterScope = 'global' | 'client' | 'audience' | 'profile';

interface BaseDefinition {
  readonly description: string;
  /**
   * Scopes allowed to set it; `global` is always among them. `profile` is never listed: a
   * profile may set what a client may ({@link allowedIn}).
   */
  readonly scopes: readonly Exclude<ParameterScope, 'profile'>[];
  /** Why no login reaches it, when none does: a profile's value for it is never applied (lint warns). */
  readonly unreachedByLogin?: string;
}

/**
 * A whole number of seconds within the hard limits `[min, max]` (no `max`: unbounded). The
 * smaller number is always the stricter one.
 */
export interface SecondsDefinition extends BaseDefinition {
  readonly kind: 'seconds';
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  /** What the whole number counts, for messages. @default 'seconds' */
  readonly unit?: 'seconds' | 'requests';
}

export interface BooleanDefinition extends BaseDefinition {
  readonly kind: 'boolean';
  readonly default: boolean;
  /** The stricter value: the only one a profile may set. */
  readonly stricter: boolean;
}

export interface EnumDefinition extends BaseDefinition {
  readonly kind: 'enum';
  /** From the loosest to the strictest. */
  readonly values: readonly string[];
  readonly default: string;
}

/** A new kind (for example request counts for rate limits) is a new member here plus one parser case. */
export type ParameterDefinition = SecondsDefinition | BooleanDefinition | EnumDefinition;

const EVERY_SCOPE = ['global', 'client', 'audience'] as const;
const GLOBAL_AND_CLIENT = ['global', 'client'] as const;
const GLOBAL_ONLY = ['global'] as const;

const DAY = 86_400;

/** The parameter table. Keys are the names used in SSM and in the local parameters file. */
export const PARAMETERS = {
  access_token_ttl: {
    kind: 'seconds', default: 900, min: 1, max: DAY, scopes: EVERY_SCOPE,
    description: 'Lifetime of user access tokens.',
  },
  access_token_ttl_browser: {
    kind: 'seconds', default: 300, min: 1, max: DAY, scopes: EVERY_SCOPE,
    description: 'Lifetime of user access tokens issued to public (browser/SPA) clients, when shorter.',
  },
  client_credentials_token_ttl: {
    kind: 'seconds', default: 3600, min: 1, max: DAY, scopes: EVERY_SCOPE,
    unreachedByLogin: 'client credentials tokens come from no login',
    description: 'Lifetime of access tokens from the client credentials grant (machine to machine).',
  },
  id_token_ttl: {
    kind: 'seconds', default: 300, min: 1, max: DAY, scopes: GLOBAL_AND_CLIENT,
    description: 'Lifetime of ID tokens, consumed once at sign-in.',
  },
  refresh_token_idle_ttl: {
    kind: 'seconds', default: 30 * DAY, min: 1, scopes: GLOBAL_AND_CLIENT,
    description: 'A refresh token family expires after this long without use.',
  },
  refresh_token_absolute_ttl: {
    kind: 'seconds', default: 365 * DAY, min: 1, scopes: GLOBAL_AND_CLIENT,
    description: 'A refresh token family expires this long after it was created, used or not.',
  },
  refresh_token_rotation: {
    kind: 'boolean', default: true, stricter: true, scopes: GLOBAL_AND_CLIENT,
    description: 'Issue a new refresh token on every use (OAuth 2.1); reuse of a superseded one revokes the family.',
  },
  refresh_token_reuse_interval: {
    // A long grace would be a hole in reuse detection, hence the low ceiling.
    kind: 'seconds', default: 0, min: 0, max: 300, scopes: GLOBAL_AND_CLIENT,
    description: 'Grace period in which the previous refresh token is still accepted (concurrent refreshes); 0 = none.',
  },
  session_idle_ttl: {
    kind: 'seconds', default: 1800, min: 1, scopes: GLOBAL_AND_CLIENT,
    description: 'An SSO session ends after this long without activity (sliding).',
  },
  session_absolute_ttl: {
    kind: 'seconds', default: 30 * DAY, min: 1, scopes: GLOBAL_AND_CLIENT,
    description: 'An SSO session ends this long after sign-in, active or not.',
  },
  authorization_code_ttl: {
    kind: 'seconds', default: 600, min: 1, max: 600, scopes: GLOBAL_AND_CLIENT,
    description: 'Lifetime of authorization codes.',
  },
  device_code_ttl: {
    kind: 'seconds', default: 300, min: 1, max: 1800, scopes: GLOBAL_AND_CLIENT,
    unreachedByLogin: 'the device code exists before the user logs in',
    description: 'Lifetime of device codes and user codes (RFC 8628).',
  },
  introspection_cache_ttl: {
    kind: 'seconds', default: 60, min: 0, max: 300, scopes: GLOBAL_ONLY,
    description: 'How long an introspection result may be cached; 0 = not cached.',
  },
  clock_skew_tolerance: {
    kind: 'seconds', default: 30, min: 0, max: 300, scopes: GLOBAL_ONLY,
    description: 'Clock skew tolerated when checking exp, nbf and iat.',
  },
  access_token_format: {
    // Opaque is the stricter: a revocation stops it at once (resource servers introspect).
    kind: 'enum', values: ['jwt', 'opaque'], default: 'jwt', scopes: EVERY_SCOPE,
    description: 'JWT access tokens (RFC 9068) or opaque ones checked by introspection.',
  },
  revoke_refresh_on_password_change: {
    kind: 'boolean', default: true, stricter: true, scopes: GLOBAL_ONLY,
    description: "Revoke a user's refresh token families when their password changes.",
  },
  end_sessions_on_password_change: {
    kind: 'boolean', default: true, stricter: true, scopes: GLOBAL_ONLY,
    description: "End a user's SSO sessions when their password or MFA changes (\"sign out other devices\").",
  },
  rate_limit_window: {
    kind: 'seconds', default: 60, min: 1, max: 3600, scopes: GLOBAL_ONLY,
    description: 'Length of the window in which the rate limits below are counted.',
  },
  refresh_rate_limit: {
    // Checked inside the refresh's one conditional write, against the family's record of its
    // latest 20 rotations: hence the ceiling.
    kind: 'seconds', unit: 'requests', default: 10, min: 1, max: 20, scopes: GLOBAL_AND_CLIENT,
    description: 'Refreshes allowed per refresh-token family per window (and as many retries within the reuse interval, and as many failed attempts); more are answered 429.',
  },
  client_auth_failure_limit: {
    kind: 'seconds', unit: 'requests', default: 10, min: 1, max: 10_000, scopes: GLOBAL_AND_CLIENT,
    unreachedByLogin: 'failed client authentications are counted per client, before any login is known',
    description: 'Failed client authentications allowed per client per window; more are answered 429.',
  },
  revoke_all_on_logout: {
    kind: 'boolean', default: false, stricter: true, scopes: GLOBAL_ONLY,
    description: "On logout, also revoke every refresh token family of the user (one marker write), not only end the SSO session.",
  },
  dpop_nonce_required: {
    kind: 'boolean', default: false, stricter: true, scopes: GLOBAL_AND_CLIENT,
    unreachedByLogin: 'the nonce is demanded when the proof is checked, before the grant and its login are read',
    description: 'Demand a DPoP server nonce (RFC 9449 §8) in the proofs a client sends to /token: use_dpop_nonce with a DPoP-Nonce header until it does.',
  },
} as const satisfies Record<string, ParameterDefinition>;

export type ParameterName = keyof typeof PARAMETERS;

/** The longest any access token can live: the hard limits of the table (a denylist or marker must outlast it). */
export const LONGEST_ACCESS_TOKEN_TTL = Math.max(PARAMETERS.access_token_ttl.max, PARAMETERS.access_token_ttl_browser.max, PARAMETERS.client_credentials_token_ttl.max);

type ValueOf<D> = D extends { readonly kind: 'seconds' }
  ? number
  : D extends { readonly kind: 'boolean' }
    ? boolean
    : D extends { readonly kind: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : never;

/** One value per parameter, typed from the table (`access_token_format` is `'jwt' | 'opaque'`). */
export type LifetimeValues = { -readonly [K in ParameterName]: ValueOf<(typeof PARAMETERS)[K]> };

/** The value of any parameter, as held before it is read through {@link LifetimeValues}. */
export type ParameterValue = LifetimeValues[ParameterName];

/** Names of the parameters measured in seconds. */
export type SecondsParameterName = {
  [K in ParameterName]: (typeof PARAMETERS)[K] extends { readonly kind: 'seconds' } ? K : never;
}[ParameterName];

/** Every parameter name, in table order. */
export const PARAMETER_NAMES = Object.keys(PARAMETERS) as readonly ParameterName[];

export function isParameterName(name: string): name is ParameterName {
  return Object.hasOwn(PARAMETERS, name);
}

/** The definition of a parameter, widened to the union so callers can switch on `kind`. */
export function definitionOf(name: ParameterName): ParameterDefinition {
  return PARAMETERS[name];
}

/** Whether a parameter may be set in a scope: a profile may set what a client may. */
export function allowedIn(name: ParameterName, scope: ParameterScope): boolean {
  const scopes: readonly ParameterScope[] = PARAMETERS[name].scopes;
  return scopes.includes(scope === 'profile' ? 'client' : scope);
}

/** Whether a login's profile can change this parameter at all (see the table's comment). */
export function reachedByLogin(name: ParameterName): boolean {
  return allowedIn(name, 'profile') && definitionOf(name).unreachedByLogin === undefined;
}

/**
 * Why a profile may not hold this (already valid) value, or `undefined` when it may: a boolean's
 * looser value, an enum's loosest value. Every valid seconds value may be held (a larger one is
 * just not used).
 */
export function profileLoosening(name: ParameterName, value: ParameterValue): string | undefined {
  const definition = definitionOf(name);
  if (definition.kind === 'boolean' && value !== definition.stricter) {
    return `a lifetime profile only tightens: ${name} ${String(value)} could only loosen what a client has (a profile may set ${String(definition.stricter)})`;
  }
  if (definition.kind === 'enum' && value === definition.values[0] && definition.values.length > 1) {
    return `a lifetime profile only tightens: ${name} ${String(value)} is the loosest value (a profile may set ${definition.values.slice(1).join(' or ')})`;
  }
  return undefined;
}

/**
 * Whether `candidate` is strictly stricter than `current` for this parameter: a smaller number, the
 * `stricter` boolean over the other, a later enum value.
 */
export function isStricter(name: ParameterName, candidate: ParameterValue, current: ParameterValue): boolean {
  const definition = definitionOf(name);
  switch (definition.kind) {
    case 'seconds':
      return typeof candidate === 'number' && typeof current === 'number' && candidate < current;
    case 'boolean':
      return candidate === definition.stricter && current !== definition.stricter;
    case 'enum':
      return definition.values.indexOf(String(candidate)) > definition.values.indexOf(String(current));
  }
}

/** A fresh record of every default. */
export function defaultValues(): LifetimeValues {
  const values: Record<string, ParameterValue> = {};
  for (const name of PARAMETER_NAMES) values[name] = PARAMETERS[name].default;
  // Filled from the same table the type is derived from, one key per ParameterName.
  return values as LifetimeValues;
}

// ---- names in SSM ----------------------------------------------------------------------

/** Root of every Lifespan parameter in SSM; the stage follows. */
export const SSM_ROOT = '/lifespan/';

/**
 * Characters allowed in a stage, client id, audience id or profile name segment: those SSM
 * allows in a parameter name, minus `/` which separates the hierarchy. An audience that is a URL
 * therefore needs an id of its own to be overridden.
 */
export const NAME_SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** The longest profile name a login may choose (`lifetime_profile` at accept), as a client id. */
export const MAX_PROFILE_NAME = 128;

/** Where a name applies: globally, as an override for one client or one audience, or in one lifetime profile. */
export type ScopeRef =
  | { readonly scope: 'global' }
  | { readonly scope: 'client'; readonly id: string }
  | { readonly scope: 'audience'; readonly id: string }
  | { readonly scope: 'profile'; readonly id: string };

/** A relative name taken apart. `parameter` is not yet checked against the table. */
export type ParsedName = ScopeRef & { readonly parameter: string };

const OVERRIDE_FOLDERS = { client: 'clients', audience: 'audiences', profile: 'profiles' } as const;

/**
 * `/lifespan/<stage>/`, the `Path` to load. Throws `TypeError` for a stage SSM could not hold.
 *
 * @example
 * parameterPrefix('prod') // '/lifespan/prod/'
 */
export function parameterPrefix(stage: string): string {
  if (!NAME_SEGMENT.test(stage)) throw new TypeError(`invalid stage ${JSON.stringify(stage)}: use letters, digits, _ . -`);
  return `${SSM_ROOT}${stage}/`;
}

/** Full SSM name of a relative name: `parameterPath('prod', 'clients/web/access_token_ttl')`. */
export function parameterPath(stage: string, relative: string): string {
  return parameterPrefix(stage) + relative;
}

/**
 * The relative name (the part after `/lifespan/<stage>/`) of a parameter in a scope.
 *
 * @example
 * relativeName('access_token_ttl') // 'access_token_ttl'
 * relativeName('access_token_ttl', { scope: 'client', id: 'web' }) // 'clients/web/access_token_ttl'
 */
export function relativeName(parameter: string, where: ScopeRef = { scope: 'global' }): string {
  if (where.scope === 'global') return parameter;
  if (!NAME_SEGMENT.test(where.id)) throw new TypeError(`invalid ${where.scope} id ${JSON.stringify(where.id)}`);
  return `${OVERRIDE_FOLDERS[where.scope]}/${where.id}/${parameter}`;
}

/**
 * Takes a relative name apart following the grammar `name`, `clients/<id>/name`,
 * `audiences/<id>/name`, `profiles/<profile>/name`; `undefined` for anything else. Whether `name` exists and may be set
 * in that scope is the guardrails' business.
 */
export function parseRelativeName(name: string): ParsedName | undefined {
  const parts = name.split('/');
  if (parts.length === 1) return parts[0] ? { scope: 'global', parameter: name } : undefined;
  const [folder, id, parameter] = parts;
  if (parts.length !== 3 || id === undefined || !NAME_SEGMENT.test(id) || !parameter) return undefined;
  if (folder === OVERRIDE_FOLDERS.client) return { scope: 'client', id, parameter };
  if (folder === OVERRIDE_FOLDERS.audience) return { scope: 'audience', id, parameter };
  if (folder === OVERRIDE_FOLDERS.profile) return { scope: 'profile', id, parameter };
  return undefined;
}
