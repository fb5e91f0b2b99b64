import type { LifetimeSnapshot } from './config.ts';
import {
  MAX_PROFILE_NAME,
  PARAMETER_NAMES,
  definitionOf,
  reachedByLogin,
  relativeName,
  type ParameterName,
  type ParameterValue,
} from './parameters.ts';
import { resolveLifetimes, type ResolveContext } from './resolver.ts';

/**
 * Lint of lifetime profiles (`profiles/<profile>/…`): a profile no login can choose (its name is
 * longer than an accept allows), what a profile sets that nothing a login produces ever uses,
 * and a profile that, wherever it could apply, changes nothing.
 */
export type ProfileWarningCode = 'PROFILE_UNREACHABLE' | 'PROFILE_VALUE_UNREACHED' | 'PROFILE_TIGHTENS_NOTHING';

export interface ProfileWarning {
  readonly code: ProfileWarningCode;
  readonly profile: string;
  /** The value no login reaches (`PROFILE_VALUE_UNREACHED`). */
  readonly parameter?: ParameterName;
  readonly value?: ParameterValue;
  readonly message: string;
}

/**
 * The contexts a profile is judged in: the global view (for confidential and public clients),
 * and every client and audience the configuration overrides.
 */
function contexts(snapshot: LifetimeSnapshot): ResolveContext[] {
  return [
    {},
    { clientType: 'public' },
    ...[...snapshot.clients.keys()].flatMap((clientId): ResolveContext[] => [{ clientId }, { clientId, clientType: 'public' }]),
    ...[...snapshot.audiences.keys()].map((audience): ResolveContext => ({ audience })),
  ];
}

/** Whether the profile changes any effective value in a context. */
function tightensIn(snapshot: LifetimeSnapshot, profile: string, context: ResolveContext): boolean {
  const without = resolveLifetimes(snapshot, context);
  const withProfile = resolveLifetimes(snapshot, { ...context, profile });
  return PARAMETER_NAMES.some((name) => withProfile[name].value !== without[name].value);
}

/** The warnings about every profile the configuration names. */
export function profileWarnings(snapshot: LifetimeSnapshot): ProfileWarning[] {
  const warnings: ProfileWarning[] = [];
  for (const profile of [...snapshot.profileNames].sort()) {
    const values = snapshot.profiles.get(profile) ?? {};
    if (profile.length > MAX_PROFILE_NAME) {
      warnings.push({
        code: 'PROFILE_UNREACHABLE',
        profile,
        message: `profile ${profile.slice(0, 40)}… cannot be chosen by any login: lifetime_profile names are at most ${MAX_PROFILE_NAME} characters`,
      });
      continue;
    }
    for (const name of PARAMETER_NAMES) {
      const value = values[name];
      if (value === undefined || reachedByLogin(name)) continue;
      warnings.push({
        code: 'PROFILE_VALUE_UNREACHED',
        profile,
        parameter: name,
        value,
        message: `${relativeName(name, { scope: 'profile', id: profile })} is never applied: ${definitionOf(name).unreachedByLogin ?? 'no login reaches it'}`,
      });
    }
    if (!contexts(snapshot).some((context) => tightensIn(snapshot, profile, context))) {
      const reachable = PARAMETER_NAMES.some((name) => values[name] !== undefined && reachedByLogin(name));
      warnings.push({
        code: 'PROFILE_TIGHTENS_NOTHING',
        profile,
        message: reachable
          ? `profile ${profile} tightens nothing: every value it sets is already as strict globally and for every client and audience with overrides`
          : `profile ${profile} tightens nothing: no login can reach anything it sets (it has no valid value a login uses)`,
      });
    }
  }
  return warnings;
}
