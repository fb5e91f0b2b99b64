import type { LifetimeSnapshot } from './config.ts';
import { CROSS_RULES, lifetimeWarnings, type LifetimeWarning } from './guardrails.ts';
import {
  NAME_SEGMENT,
  PARAMETERS,
  PARAMETER_NAMES,
  isStricter,
  reachedByLogin,
  relativeName,
  type LifetimeValues,
  type ParameterName,
  type ParameterValue,
} from './parameters.ts';

/**
 * Where an effective value comes from. `browser`: the public-client access-token lifetime
 * applies; `profile`: the login's lifetime profile is stricter than everything else;
 * `guardrail`: a configured value was rejected and this one is in use instead.
 */
export type LifetimeSource = 'default' | 'global' | 'audience' | 'client' | 'browser' | 'profile' | 'guardrail';

/** Who the lifetimes are for. Every field is optional: none gives the global view. */
export interface ResolveContext {
  readonly clientId?: string | undefined;
  readonly clientType?: 'public' | 'confidential' | undefined;
  readonly audience?: string | undefined;
  /** The lifetime profile the login chose (`profiles/<profile>/…`); it only ever tightens. */
  readonly profile?: string | undefined;
}

/** A rejected configured value, shown beside the value used instead. */
export interface RejectedValue {
  /** Full relative name, e.g. `clients/web/access_token_ttl`. */
  readonly name: string;
  /** The raw value rejected; `undefined` when the change rejected was the parameter's removal. */
  readonly value: string | undefined;
  readonly reason: string;
}

export interface ResolvedValue<T> {
  readonly value: T;
  readonly source: LifetimeSource;
  /** Present when a configured value for this parameter was rejected. */
  readonly rejected?: RejectedValue;
}

/** One entry per parameter, plus the warnings that apply to these effective values. */
export type ResolvedLifetimes = { readonly [K in ParameterName]: ResolvedValue<LifetimeValues[K]> } & {
  readonly warnings: readonly LifetimeWarning[];
};

// `warnings` shares the record with the parameter names; this fails to compile if one is added with that name.
const NO_PARAMETER_NAMED_WARNINGS: 'warnings' extends ParameterName ? never : true = true;
void NO_PARAMETER_NAMED_WARNINGS;

interface Layer {
  readonly source: 'client' | 'audience' | 'global' | 'default';
  readonly name: string;
  readonly value: ParameterValue | undefined;
}

/**
 * The effective lifetimes for a client and/or audience (and the login's lifetime profile), each
 * with where it comes from.
 *
 * Precedence: client override > audience override > global parameter > default, except that
 * when a client override and an audience override both set a lifetime in seconds the shorter
 * one wins (each side can only tighten the other). For a public client without its own
 * `access_token_ttl` override, the user access-token lifetime is
 * min(`access_token_ttl`, `access_token_ttl_browser`), each resolved as above.
 *
 * A profile then only tightens (parameters.ts states the rule by kind): each value it sets that
 * is stricter than the one resolved above replaces it (`source: 'profile'`), for the parameters
 * a login reaches; a public client's access token is also held to the profile's
 * `access_token_ttl_browser`; and an idle lifetime longer than the absolute one the profile set
 * is cut to it (it could never be reached). A profile the configuration does not name changes
 * nothing (logins are refused one, so only a profile removed since can be missing).
 *
 * @example
 * const resolved = resolveLifetimes(await store.current(), { clientId: 'spa', clientType: 'public' });
 * resolved.access_token_ttl.value; // 300
 * resolved.access_token_ttl.source; // 'browser'
 */
export function resolveLifetimes(snapshot: LifetimeSnapshot, context: ResolveContext = {}): ResolvedLifetimes {
  // A snapshot never changes once loaded, so what it resolves to for a context is worked out
  // once per snapshot (every token request asks; a few clients and audiences carry most).
  let resolved = resolvedBySnapshot.get(snapshot);
  if (resolved === undefined) {
    resolved = new Map();
    resolvedBySnapshot.set(snapshot, resolved);
  }
  const key = `${context.clientId ?? ''}\u0000${context.clientType ?? ''}\u0000${context.audience ?? ''}\u0000${context.profile ?? ''}`;
  const cached = resolved.get(key);
  if (cached !== undefined) return cached;
  const fresh = deepFreeze(resolveUncached(snapshot, context));
  // Bounded: ids come from requests; past the bound the map starts over (the next snapshot
  // starts over anyway).
  if (resolved.size >= RESOLVED_PER_SNAPSHOT) resolved.clear();
  resolved.set(key, fresh);
  return fresh;
}

const RESOLVED_PER_SNAPSHOT = 1024;
const resolvedBySnapshot = new WeakMap<LifetimeSnapshot, Map<string, ResolvedLifetimes>>();

/** Shared between requests, so nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function resolveUncached(snapshot: LifetimeSnapshot, context: ResolveContext): ResolvedLifetimes {
  const entries: Record<string, ResolvedValue<ParameterValue>> = {};
  for (const parameter of PARAMETER_NAMES) entries[parameter] = resolveParameter(snapshot, parameter, context);

  const access = entries.access_token_ttl;
  const browser = entries.access_token_ttl_browser;
  const ownOverride = context.clientId !== undefined && snapshot.clients.get(context.clientId)?.access_token_ttl !== undefined;
  if (context.clientType === 'public' && !ownOverride && access && browser && browser.value < access.value) {
    entries.access_token_ttl = { ...browser, source: 'browser' };
  }
  if (context.profile !== undefined && NAME_SEGMENT.test(context.profile)) applyProfile(snapshot, context.profile, context.clientType, entries);

  const values: Record<string, ParameterValue> = {};
  for (const parameter of PARAMETER_NAMES) values[parameter] = entries[parameter]?.value ?? PARAMETERS[parameter].default;
  // Both records hold exactly one entry per ParameterName, resolved for that parameter.
  const warnings = lifetimeWarnings(values as LifetimeValues);
  return { ...(entries as { [K in ParameterName]: ResolvedValue<LifetimeValues[K]> }), warnings };
}

function resolveParameter(snapshot: LifetimeSnapshot, parameter: ParameterName, context: ResolveContext): ResolvedValue<ParameterValue> {
  const layers: Layer[] = [];
  // An id SSM could not hold has no overrides; skipping it keeps odd ids from throwing here.
  if (context.clientId !== undefined && NAME_SEGMENT.test(context.clientId)) {
    layers.push({
      source: 'client',
      name: relativeName(parameter, { scope: 'client', id: context.clientId }),
      value: snapshot.clients.get(context.clientId)?.[parameter],
    });
  }
  if (context.audience !== undefined && NAME_SEGMENT.test(context.audience)) {
    layers.push({
      source: 'audience',
      name: relativeName(parameter, { scope: 'audience', id: context.audience }),
      value: snapshot.audiences.get(context.audience)?.[parameter],
    });
  }
  layers.push({ source: 'global', name: parameter, value: snapshot.globalConfigured.has(parameter) ? snapshot.global[parameter] : undefined });
  layers.push({ source: 'default', name: parameter, value: PARAMETERS[parameter].default });

  const winner = pick(layers, PARAMETERS[parameter].kind === 'seconds');
  const rejected = rejectionBehind(snapshot, layers, winner);
  if (rejected !== undefined) return { value: winner.value ?? PARAMETERS[parameter].default, source: 'guardrail', rejected };
  return { value: winner.value ?? PARAMETERS[parameter].default, source: winner.source };
}

/** Tightens the resolved entries with a lifetime profile's values, in place. */
function applyProfile(
  snapshot: LifetimeSnapshot,
  profile: string,
  clientType: ResolveContext['clientType'],
  entries: Record<string, ResolvedValue<ParameterValue>>,
): void {
  const own = snapshot.profiles.get(profile) ?? {};
  const tighten = (parameter: ParameterName, from: ParameterName) => {
    const current = entries[parameter];
    if (current === undefined || !reachedByLogin(from)) return;
    const value = own[from];
    const held = snapshot.held.get(relativeName(from, { scope: 'profile', id: profile }));
    const rejected = held && { name: held.name, value: held.rejected, reason: held.reason };
    if (value !== undefined && isStricter(parameter, value, current.value)) {
      entries[parameter] = rejected ? { value, source: 'guardrail', rejected } : { value, source: 'profile' };
    } else if (value === undefined && rejected && from === parameter) {
      // The profile's value was rejected (and none was ever valid): what it would have tightened stays.
      entries[parameter] = { value: current.value, source: 'guardrail', rejected };
    }
  };
  for (const parameter of PARAMETER_NAMES) tighten(parameter, parameter);
  if (clientType === 'public') tighten('access_token_ttl', 'access_token_ttl_browser');
  for (const rule of CROSS_RULES) {
    const longer = entries[rule.longer];
    const shorter = entries[rule.shorter];
    if (longer && shorter && (shorter.value as number) > (longer.value as number)) entries[rule.shorter] = { value: longer.value, source: 'profile' };
  }
}

function pick(layers: readonly Layer[], seconds: boolean): Layer {
  const client = layers.find((layer) => layer.source === 'client' && layer.value !== undefined);
  const audience = layers.find((layer) => layer.source === 'audience' && layer.value !== undefined);
  if (seconds && client && audience && typeof client.value === 'number' && typeof audience.value === 'number') {
    return audience.value < client.value ? audience : client;
  }
  // The default layer always has a value, so find() cannot come back empty.
  return layers.find((layer) => layer.value !== undefined) ?? (layers[layers.length - 1] as Layer);
}

/**
 * The rejection responsible for the value in use: the winning name's own, or that of a
 * higher-precedence name which lost its value to the guardrail (so the value fell through).
 */
function rejectionBehind(snapshot: LifetimeSnapshot, layers: readonly Layer[], winner: Layer): RejectedValue | undefined {
  // The default layer shares the global name, so a rejected global value is found here too.
  const own = snapshot.held.get(winner.name);
  if (own !== undefined) return { name: own.name, value: own.rejected, reason: own.reason };
  for (const layer of layers.slice(0, layers.indexOf(winner))) {
    const held = snapshot.held.get(layer.name);
    if (held !== undefined && layer.value === undefined) return { name: held.name, value: held.rejected, reason: held.reason };
  }
  return undefined;
}
