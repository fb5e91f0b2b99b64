/**
 * Guardrails of DESIGN.md §4, as pure functions: what is rejected (a raw value, a name, a
 * combination) and what only deserves a warning. Deciding what to keep in use when something
 * is rejected is the configuration store's job (config.ts).
 */
import {
  PARAMETERS,
  allowedIn,
  defaultValues,
  definitionOf,
  isParameterName,
  profileLoosening,
  parseRelativeName,
  relativeName,
  type LifetimeValues,
  type ParameterName,
  type ParameterValue,
  type ParsedName,
  type ScopeRef,
  type SecondsParameterName,
} from './parameters.ts';

/** Result of checking one raw value. */
export type ValueCheck = { readonly ok: true; readonly value: ParameterValue } | { readonly ok: false; readonly reason: string };

/** Result of checking one `name = raw` entry of the source. */
export type EntryCheck =
  | { readonly ok: true; readonly name: ParsedName & { readonly parameter: ParameterName }; readonly value: ParameterValue }
  | {
      readonly ok: false;
      /** Set when the name itself is valid (so a last valid value can be kept for it). */
      readonly name: (ParsedName & { readonly parameter: ParameterName }) | undefined;
      readonly reason: string;
    };

// Decimal digits only: no sign, exponent, unit, whitespace, hex, fraction, or leading zero
// (an operator writing 0300 may mean octal; better to ask than to guess).
const DECIMAL = /^(0|[1-9][0-9]*)$/;

const SCOPE_WORDS = { global: 'globally', client: 'per client', audience: 'per audience', profile: 'per lifetime profile' } as const;

/** `<name>: <reason>`, the form every rejection is logged in. */
export function rejectionMessage(name: string, reason: string): string {
  return `${name}: ${reason}`;
}

/**
 * Parses a raw string as the given parameter and checks its hard limits. Overrides go through
 * the same check, so they can tighten what a limit allows but never loosen it.
 *
 * @example
 * checkValue('access_token_ttl', '90000')
 * // { ok: false, reason: '90000 exceeds the hard limit of 86400 seconds' }
 */
export function checkValue(parameter: ParameterName, raw: string): ValueCheck {
  const definition = definitionOf(parameter);
  switch (definition.kind) {
    case 'seconds': {
      const unit = definition.unit ?? 'seconds';
      if (!DECIMAL.test(raw)) return { ok: false, reason: `${JSON.stringify(raw)} is not a whole number of ${unit} written in decimal digits` };
      const seconds = Number(raw);
      if (!Number.isSafeInteger(seconds)) return { ok: false, reason: `${raw} is too large` };
      if (seconds < definition.min) {
        return {
          ok: false,
          reason: definition.min === 1 ? `${raw} is not a positive number of ${unit}` : `${raw} is below the hard limit of ${definition.min} ${unit}`,
        };
      }
      if (definition.max !== undefined && seconds > definition.max) {
        return { ok: false, reason: `${raw} exceeds the hard limit of ${definition.max} ${unit}` };
      }
      return { ok: true, value: seconds };
    }
    case 'boolean':
      if (raw === 'true') return { ok: true, value: true };
      if (raw === 'false') return { ok: true, value: false };
      return { ok: false, reason: `${JSON.stringify(raw)} is not a boolean: write true or false` };
    case 'enum':
      // The table's enum values are exactly the members of the parameter's value type.
      if (definition.values.includes(raw)) return { ok: true, value: raw as ParameterValue };
      return { ok: false, reason: `${JSON.stringify(raw)} is not one of ${definition.values.join(', ')}` };
    default:
      return unreachable(definition);
  }
}

/**
 * Checks a full relative name (grammar, known parameter, allowed scope) and its raw value; in a
 * lifetime profile also that the value can only tighten (parameters.ts says how, by kind).
 */
export function checkEntry(name: string, raw: string): EntryCheck {
  const parsed = parseRelativeName(name);
  if (parsed === undefined) {
    return {
      ok: false,
      name: undefined,
      reason: 'not a parameter name: expected <name>, clients/<id>/<name>, audiences/<id>/<name> or profiles/<profile>/<name>',
    };
  }
  if (!isParameterName(parsed.parameter)) return { ok: false, name: undefined, reason: `unknown parameter ${JSON.stringify(parsed.parameter)}` };
  const parameter = parsed.parameter;
  if (!allowedIn(parameter, parsed.scope)) {
    const allowed = PARAMETERS[parameter].scopes.map((scope) => SCOPE_WORDS[scope]).join(' or ');
    return { ok: false, name: undefined, reason: `${parameter} cannot be set ${SCOPE_WORDS[parsed.scope]} (it may be set ${allowed})` };
  }
  const known = { ...parsed, parameter };
  const value = checkValue(parameter, raw);
  if (!value.ok) return { ok: false, name: known, reason: value.reason };
  const loosening = parsed.scope === 'profile' ? profileLoosening(parameter, value.value) : undefined;
  return loosening === undefined ? { ok: true, name: known, value: value.value } : { ok: false, name: known, reason: loosening };
}

// ---- scopes ----------------------------------------------------------------------------

/** Configured values grouped by scope; absent keys are not set in that scope. */
export interface ScopedValues {
  readonly global: Partial<LifetimeValues>;
  readonly clients: ReadonlyMap<string, Partial<LifetimeValues>>;
  readonly audiences: ReadonlyMap<string, Partial<LifetimeValues>>;
  readonly profiles: ReadonlyMap<string, Partial<LifetimeValues>>;
}

/** Groups accepted values keyed by relative name into their scopes. Names that do not parse are skipped. */
export function groupByScope(configured: ReadonlyMap<string, ParameterValue>): ScopedValues {
  const global: Record<string, ParameterValue> = {};
  const clients = new Map<string, Record<string, ParameterValue>>();
  const audiences = new Map<string, Record<string, ParameterValue>>();
  const profiles = new Map<string, Record<string, ParameterValue>>();
  const byScope = { client: clients, audience: audiences, profile: profiles } as const;
  for (const [name, value] of configured) {
    const parsed = parseRelativeName(name);
    if (parsed === undefined || !isParameterName(parsed.parameter)) continue;
    if (parsed.scope === 'global') {
      global[parsed.parameter] = value;
      continue;
    }
    const byId = byScope[parsed.scope];
    const values = byId.get(parsed.id) ?? {};
    values[parsed.parameter] = value;
    byId.set(parsed.id, values);
  }
  // Records keyed only by ParameterName, each holding a value checked for that parameter.
  return {
    global: global as Partial<LifetimeValues>,
    clients: clients as Map<string, Partial<LifetimeValues>>,
    audiences: audiences as Map<string, Partial<LifetimeValues>>,
    profiles: profiles as Map<string, Partial<LifetimeValues>>,
  };
}

// ---- cross rules -----------------------------------------------------------------------

/** `longer` must be at least `shorter`, in every scope. */
export interface CrossRule {
  readonly longer: SecondsParameterName;
  readonly shorter: SecondsParameterName;
}

/**
 * Absolute lifetimes may not be below their idle ones. None of these parameters may be set per
 * audience (a test keeps it so), which is why a client × audience combination needs no check.
 */
export const CROSS_RULES: readonly CrossRule[] = [
  { longer: 'refresh_token_absolute_ttl', shorter: 'refresh_token_idle_ttl' },
  { longer: 'session_absolute_ttl', shorter: 'session_idle_ttl' },
];

/** A cross rule broken in one scope, with the relative names that supply the two values there. */
export interface CrossRuleViolation {
  readonly rule: CrossRule;
  readonly scope: ScopeRef;
  readonly longer: { readonly name: string; readonly value: number };
  readonly shorter: { readonly name: string; readonly value: number };
  /**
   * Every name that does or could supply the two values in this scope: the scope's own
   * override names (set or not) and the global names. Undoing a change to any of them
   * (including a removal) may be what restores the rule.
   */
  readonly involved: readonly string[];
  readonly reason: string;
}

/**
 * Checks every cross rule on the effective values of every scope: the global values (over the
 * defaults), and each client's and audience's overrides on top of them. A lifetime profile is
 * held to the rule only for the pairs it sets both halves of: where it sets one, the value
 * it leaves to the client is cut to the profile's by the resolver (an idle lifetime is at most
 * the absolute one), so nothing it inherits can break the rule.
 */
export function crossRuleViolations(configured: ReadonlyMap<string, ParameterValue>): CrossRuleViolation[] {
  const scoped = groupByScope(configured);
  const defaults = defaultValues();
  const scopes: Array<[ScopeRef, Partial<LifetimeValues>]> = [[{ scope: 'global' }, {}]];
  for (const [id, values] of scoped.clients) scopes.push([{ scope: 'client', id }, values]);
  for (const [id, values] of scoped.audiences) scopes.push([{ scope: 'audience', id }, values]);
  for (const [id, values] of scoped.profiles) scopes.push([{ scope: 'profile', id }, values]);

  const violations: CrossRuleViolation[] = [];
  for (const [scope, overrides] of scopes) {
    const effective = (parameter: SecondsParameterName) => {
      const own = overrides[parameter];
      if (own !== undefined) return { name: relativeName(parameter, scope), value: own };
      return { name: parameter, value: scoped.global[parameter] ?? defaults[parameter] };
    };
    for (const rule of CROSS_RULES) {
      if (scope.scope === 'profile' && (overrides[rule.longer] === undefined || overrides[rule.shorter] === undefined)) continue;
      const longer = effective(rule.longer);
      const shorter = effective(rule.shorter);
      if (longer.value >= shorter.value) continue;
      const where = scope.scope === 'global' ? '' : ` for ${scope.scope} ${scope.id}`;
      const reason =
        `${longer.name} (${longer.value}) is shorter than ${shorter.name} (${shorter.value})${where}: ` +
        'an absolute lifetime cannot be below its idle one';
      const involved = [rule.longer, rule.shorter].flatMap((parameter) =>
        scope.scope === 'global' ? [parameter] : scope.scope === 'profile' ? [relativeName(parameter, scope)] : [relativeName(parameter, scope), parameter],
      );
      violations.push({ rule, scope, longer, shorter, involved, reason });
    }
  }
  return violations;
}

// ---- warnings --------------------------------------------------------------------------

/** Stable codes of the best-practice warnings; the CLI and the admin API show them as is. */
export type LifetimeWarningCode =
  | 'ACCESS_TOKEN_TTL_LONG'
  | 'CLIENT_CREDENTIALS_TOKEN_TTL_LONG'
  | 'REFRESH_TOKEN_ROTATION_OFF'
  | 'ID_TOKEN_TTL_LONG'
  | 'REVOKE_REFRESH_ON_PASSWORD_CHANGE_OFF'
  | 'SESSION_IDLE_TTL_LONG';

/** An allowed but risky value. */
export interface LifetimeWarning {
  readonly code: LifetimeWarningCode;
  readonly parameter: ParameterName;
  readonly value: ParameterValue;
  readonly message: string;
}

/** One best-practice rule; `limit` is the threshold of a "longer than" rule (the picture marks it). */
export interface WarningRule {
  readonly code: LifetimeWarningCode;
  readonly parameter: ParameterName;
  readonly limit?: number;
  check(values: LifetimeValues): string | undefined;
}

function longerThan(code: LifetimeWarningCode, parameter: SecondsParameterName, limit: number, why: string): WarningRule {
  return {
    code,
    parameter,
    limit,
    check: (values) => (values[parameter] > limit ? `${parameter} is ${values[parameter]} s, above ${limit} s: ${why}` : undefined),
  };
}

function turnedOff(code: LifetimeWarningCode, parameter: 'refresh_token_rotation' | 'revoke_refresh_on_password_change', why: string): WarningRule {
  return { code, parameter, check: (values) => (values[parameter] ? undefined : `${parameter} is off: ${why}`) };
}

/** The common antipatterns of DESIGN.md §4. */
export const WARNING_RULES: readonly WarningRule[] = [
  longerThan('ACCESS_TOKEN_TTL_LONG', 'access_token_ttl', 3600, 'the window in which a stolen access token works grows linearly with it'),
  longerThan('CLIENT_CREDENTIALS_TOKEN_TTL_LONG', 'client_credentials_token_ttl', 14_400, 'machine-to-machine tokens should live 1 to 4 hours at most'),
  turnedOff('REFRESH_TOKEN_ROTATION_OFF', 'refresh_token_rotation', 'a stolen refresh token stays usable and its reuse cannot be detected'),
  longerThan('ID_TOKEN_TTL_LONG', 'id_token_ttl', 600, 'ID tokens are consumed once at sign-in and need not live long'),
  turnedOff(
    'REVOKE_REFRESH_ON_PASSWORD_CHANGE_OFF',
    'revoke_refresh_on_password_change',
    'whoever took over the account keeps their refresh tokens after the password is changed',
  ),
  longerThan('SESSION_IDLE_TTL_LONG', 'session_idle_ttl', 86_400, 'inactive sessions stay open on shared devices'),
];

/** The warnings that apply to a complete set of effective values. */
export function lifetimeWarnings(values: LifetimeValues): LifetimeWarning[] {
  const warnings: LifetimeWarning[] = [];
  for (const rule of WARNING_RULES) {
    const message = rule.check(values);
    if (message !== undefined) warnings.push({ code: rule.code, parameter: rule.parameter, value: values[rule.parameter], message });
  }
  return warnings;
}

function unreachable(value: never): never {
  throw new Error(`unhandled parameter kind ${JSON.stringify(value)}`);
}
